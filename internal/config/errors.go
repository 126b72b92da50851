package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FieldError is one configuration problem. Its message never contains a
// secret value.
type FieldError struct {
	File  string // file name, or SourceDefaults
	Line  int    // 1-based; 0 = unknown
	Field string // e.g. "providers[0].api_key"; "" = the document as a whole
	Msg   string
}

// Error renders "file:line: field: message" (line and field omitted when
// unknown) on one line: control characters that came from the file (in a
// key, say) are escaped so they cannot break or forge log lines.
func (e *FieldError) Error() string {
	var b strings.Builder
	writeOneLine(&b, e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		writeOneLine(&b, e.Field)
		b.WriteString(": ")
	}
	writeOneLine(&b, e.Msg)
	return b.String()
}

func writeOneLine(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < ' ' || c == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(c)>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(c)&0xf, 16))
		default:
			b.WriteByte(c)
		}
	}
}

// source remembers where each field path came from, so that checks run after
// decoding (and after defaults) can still point at a line.
type source struct {
	file  string
	lines map[string]int      // field path -> line of its key or item
	unset map[string][]string // field path -> ${VARS} that expanded to "" without a default
	from  map[string]string   // field path -> env var that supplied the value (Default only)
}

func newSource(file string) *source {
	return &source{file: file, lines: map[string]int{}, unset: map[string][]string{}, from: map[string]string{}}
}

// line returns the line of path, or of its nearest ancestor that has one.
func (s *source) line(path string) int {
	for {
		if l, ok := s.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
}

// errs collects FieldErrors so that all problems are reported at once.
type errs struct {
	src  *source
	list []*FieldError
	bad  map[string]bool // fields already reported as undecodable
}

// reported says whether field, or a field containing it, already failed to
// decode; checks then stay quiet rather than add a second, confusing message.
func (e *errs) reported(field string) bool {
	for len(e.bad) > 0 {
		if e.bad[field] {
			return true
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			return false
		}
		field = field[:i]
	}
	return false
}

func (e *errs) at(line int, field, format string, args ...any) {
	e.list = append(e.list, &FieldError{File: e.src.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// add reports a problem at field's line, noting the env var behind the value
// when the value came from the environment.
func (e *errs) add(field, format string, args ...any) {
	if e.reported(field) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if v := e.src.from[field]; v != "" {
		msg += " (value from environment variable " + v + ")"
	}
	e.list = append(e.list, &FieldError{File: e.src.file, Line: e.src.line(field), Field: field, Msg: msg})
}

// empty reports a required field that is empty, naming the variables that
// were expected to fill it.
func (e *errs) empty(field, what string) {
	if e.reported(field) {
		return
	}
	msg := what
	switch vars := e.src.unset[field]; len(vars) {
	case 0:
	case 1:
		msg += " (environment variable " + vars[0] + " is not set)"
	default:
		msg += " (environment variables " + strings.Join(vars, ", ") + " are not set)"
	}
	if v := e.src.from[field]; v != "" {
		msg += " (environment variable " + v + " is empty)"
	}
	e.list = append(e.list, &FieldError{File: e.src.file, Line: e.src.line(field), Field: field, Msg: msg})
}

// err returns the collected problems ordered by line, joined; nil if none.
func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	slices.SortStableFunc(e.list, func(a, b *FieldError) int { return cmp.Compare(a.Line, b.Line) })
	out := make([]error, len(e.list))
	for i, fe := range e.list {
		out[i] = fe
	}
	return errors.Join(out...)
}
