package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// pgUniqueViolation reports PostgreSQL's unique_violation (SQLSTATE 23505).
func pgUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// pgDataError reports errors caused by the values of a row rather than by
// the server or the connection: class 22 (data exception: bad encoding,
// out-of-range values) and 54000 (program_limit_exceeded, e.g. a value too
// large for an index). Such rows are set aside instead of retried forever.
func pgDataError(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return strings.HasPrefix(pe.Code, "22") || pe.Code == "54000"
}
