package jsonscan

// Elements calls fn with the bytes of each element of the JSON array that is
// the whole of arr (whitespace around it allowed), validating as it goes,
// and stops at the first error fn returns. It lets a decoder take the array
// of a document apart without a second scan to find where elements end.
func Elements(arr []byte, fn func(elem []byte) error) error {
	s := scanner{b: arr}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return s.errf("expected an array")
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return s.end()
	}
	for {
		s.ws()
		start := s.i
		if err := s.value(1); err != nil {
			return err
		}
		if err := fn(s.b[start:s.i]); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.errf("unexpected end of input in array")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return s.end()
		default:
			return s.errf("expected ',' or ']' in array")
		}
	}
}

// Members calls fn with each member of the JSON object that is the whole of
// obj: the raw key (between its quotes, escapes not decoded; escaped tells
// whether it has any) and the value's bytes, validating as it goes, and
// stops at the first error fn returns. Decoders that must match keys the
// way encoding/json does (case-insensitively) use it to see every key.
func Members(obj []byte, fn func(key []byte, escaped bool, val []byte) error) error {
	s := scanner{b: obj}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return s.errf("expected an object")
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return s.end()
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.errf("expected object key")
		}
		keyStart := s.i
		escaped, err := s.str()
		if err != nil {
			return err
		}
		key := s.b[keyStart+1 : s.i-1]
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.errf("expected ':' after object key")
		}
		s.i++
		s.ws()
		valStart := s.i
		if err := s.value(1); err != nil {
			return err
		}
		if err := fn(key, escaped, s.b[valStart:s.i]); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.errf("unexpected end of input in object")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return s.end()
		default:
			return s.errf("expected ',' or '}' in object")
		}
	}
}
