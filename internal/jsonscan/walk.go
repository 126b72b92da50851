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
	if s.open(']') {
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
		comma, err := s.next(']', "array")
		if err != nil {
			return err
		}
		if comma < 0 {
			return s.end()
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
	if s.open('}') {
		return s.end()
	}
	for {
		_, key, escaped, err := s.key()
		if err != nil {
			return err
		}
		valStart := s.i
		if err := s.value(1); err != nil {
			return err
		}
		if err := fn(key, escaped, s.b[valStart:s.i]); err != nil {
			return err
		}
		comma, err := s.next('}', "object")
		if err != nil {
			return err
		}
		if comma < 0 {
			return s.end()
		}
	}
}
