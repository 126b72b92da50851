package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// parseSize reads a byte count: a plain integer ("33554432") or a number
// with a unit ("32MiB", "512KB", "1.5 GiB", "10 mb"). The result is rounded
// down to whole bytes.
func parseSize(s string) (int64, error) {
	// SI prefixes are powers of 1000 and IEC prefixes powers of 1024, as
	// their standards say; bare "k"/"m"/"g" are refused because readers
	// disagree on what they mean. Longest suffixes first so "kib" is not
	// read as "b".
	units := [...]struct {
		suffix string
		mult   int64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
		{"b", 1},
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty size")
	}
	lower := strings.ToLower(s)
	num, mult := lower, int64(1)
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			num, mult = strings.TrimSpace(lower[:len(lower)-len(u.suffix)]), u.mult
			break
		}
	}
	if num == "" {
		return 0, errors.New("missing number")
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n < 0 {
			return 0, errors.New("must not be negative")
		}
		if n > math.MaxInt64/mult {
			return 0, errors.New("too large")
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || num[0] == '+' || strings.ContainsAny(num, "xXpP_") {
		return 0, errors.New(`want bytes or a number with a unit: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)`)
	}
	if f < 0 {
		return 0, errors.New("must not be negative")
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, errors.New("too large")
	}
	return int64(v), nil
}
