package posts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Code says what kind of failure an Error is. The HTTP layer maps each code
// to a status in one place; nothing else needs to know about HTTP.
type Code string

const (
	Invalid            Code = "invalid"             // the request is well-formed but not acceptable
	NotFound           Code = "not_found"           // no such post
	Conflict           Code = "conflict"            // it clashes with another post (its title) or request (its key)
	PreconditionFailed Code = "precondition_failed" // If-Match names another version
	Unprocessable      Code = "unprocessable"       // an Idempotency-Key reused for another request
	Unavailable        Code = "unavailable"         // the database cannot be reached or answer in time
	Internal           Code = "internal"            // a bug or an unexpected failure
)

// Error is the one error type the handlers return. Message is safe to show
// to a client; Err, the cause, is only logged.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

var (
	errPostNotFound   = Errorf(NotFound, "The post does not exist.")
	errDuplicateTitle = Errorf(Conflict, "A post with this title already exists.")
	errChanged        = Errorf(PreconditionFailed, "The post has changed since it was read; get it again and retry.")
	errKeyInFlight    = Errorf(Conflict, "A request with this Idempotency-Key is still being processed; retry it later.")
	errKeyReused      = Errorf(Unprocessable, "This Idempotency-Key was already used with a different request body.")
)

// unexpectedMessage is all a client learns of an Internal error.
const unexpectedMessage = "An unexpected error occurred."

// unexpected wraps a cause that is no fault of the client's: it is logged,
// and the client sees unexpectedMessage.
func unexpected(err error) *Error {
	return &Error{Code: Internal, Message: unexpectedMessage, Err: err}
}

// unavailable wraps a cause that means the database cannot serve now.
func unavailable(err error) *Error {
	return &Error{Code: Unavailable, Message: "The database is unavailable; try again later.", Err: err}
}

// ErrorCode returns the code of err, Internal for anything that is not an Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the client-safe message of err; a generic one for
// anything that is not an Error, whose text may hold internal detail.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != Internal {
		return e.Message
	}
	return unexpectedMessage
}

// fromDatabase turns a database error into an Error: the few that mean
// something to a client get their own code, the rest stay internal.
func fromDatabase(err error, op string) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return errPostNotFound
	case errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "posts_title_key":
		return errDuplicateTitle
	case isUnavailable(err):
		return unavailable(fmt.Errorf("%s: %w", op, err))
	}
	return unexpected(fmt.Errorf("%s: %w", op, err))
}

// isUnavailable tells whether err means the database could not be reached
// or did not answer in time, as opposed to rejecting the statement.
func isUnavailable(err error) bool {
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), // the connection dropped mid-statement
		errors.As(err, &connectErr),
		errors.As(err, &netErr),
		pgconn.SafeToRetry(err):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01-57P03: admin shutdown, crash
		// shutdown, cannot connect now; 57014: statement cancelled (by our
		// deadline); 42P01: no such table, while migrations are pending.
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "57014", "42P01":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	return false
}
