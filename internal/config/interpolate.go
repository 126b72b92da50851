package config

import (
	"errors"
	"strings"
)

// expand replaces ${VAR} and ${VAR:-default} in s using getenv, and turns
// the escape $${ into a literal ${. As in the shell, ":-" applies the default
// when the variable is unset or empty. unset lists variables that expanded
// to "" with no default, so a required field left empty can name them.
// Errors describe the syntax only; they never quote a value.
func expand(s string, getenv func(string) string) (out string, unset []string, err error) {
	if !strings.Contains(s, "${") {
		return s, nil, nil // the common case: nothing to do, no allocation
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), unset, nil
		}
		if i > 0 && s[i-1] == '$' {
			// "$${" is the escape: emit everything up to the first '$',
			// then a literal "${".
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return "", nil, errors.New(`unterminated "${" (write "$${" for a literal "${")`)
		}
		expr := rest[:end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validVarName(name) {
			return "", nil, errors.New(`invalid variable reference: want ${NAME} or ${NAME:-default} with NAME of letters, digits and _`)
		}
		if hasDef && strings.Contains(def, "${") {
			return "", nil, errors.New(`nested "${" in a default value is not supported`)
		}
		v := getenv(name)
		if v == "" {
			if hasDef {
				v = def
			} else {
				unset = append(unset, name)
			}
		}
		b.WriteString(v)
		s = rest[end+1:]
	}
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
