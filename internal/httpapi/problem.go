package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/posts-api/posts/gen/api"
	"github.com/posts-api/posts/internal/posts"
)

// problem is an RFC 9457 problem: the body of every error response.
type problem struct {
	Type     string             `json:"type"`
	Title    string             `json:"title"`
	Status   int                `json:"status"`
	Detail   string             `json:"detail,omitempty"`
	Instance string             `json:"instance,omitempty"`
	Errors   []api.ProblemError `json:"errors,omitempty"`
}

// requestError is a request the HTTP layer rejects before any handler runs:
// malformed, too large, of the wrong type, or not valid against the spec.
type requestError struct {
	status int
	detail string
	errors []api.ProblemError
}

func (e *requestError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.detail) }

// statusOf maps each domain error code to its HTTP status. It is the only
// place that does.
var statusOf = map[posts.Code]int{
	posts.Invalid:            http.StatusBadRequest,
	posts.NotFound:           http.StatusNotFound,
	posts.Conflict:           http.StatusConflict,
	posts.PreconditionFailed: http.StatusPreconditionFailed,
	posts.Unprocessable:      http.StatusUnprocessableEntity,
	posts.Unavailable:        http.StatusServiceUnavailable,
	posts.Internal:           http.StatusInternalServerError,
}

// Details for the errors Echo itself raises (routing, binding), which carry
// no message fit for a client.
var echoDetails = map[int]string{
	http.StatusNotFound:              "There is nothing at this path.",
	http.StatusMethodNotAllowed:      "This method is not allowed on this path.",
	http.StatusRequestEntityTooLarge: errBodyTooLarge.detail,
	http.StatusUnsupportedMediaType:  errNotJSON.detail,
	http.StatusBadRequest:            "The request is not valid.",
}

// handleError is Echo's HTTPErrorHandler: every error of every request ends
// here and leaves as a problem. Internal details are logged, never sent.
func handleError(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := problemFor(err)
		p.Instance = c.Request().URL.Path
		if p.Status >= 500 {
			logger.ErrorContext(c.Request().Context(), "request failed",
				"request_id", requestID(c), "method", c.Request().Method, "route", c.Path(), "error", err.Error())
		}
		if p.Status == http.StatusServiceUnavailable {
			c.Response().Header().Set("Retry-After", "1")
		}
		writeProblem(c, p)
	}
}

func problemFor(err error) problem {
	var reqErr *requestError
	var httpErr *echo.HTTPError
	switch {
	case errors.As(err, &reqErr):
		return newProblem(reqErr.status, reqErr.detail, reqErr.errors)
	case errors.As(err, &httpErr) && httpErr.Code < 500:
		detail, ok := echoDetails[httpErr.Code]
		if !ok {
			detail = http.StatusText(httpErr.Code) + "."
		}
		return newProblem(httpErr.Code, detail, nil)
	}
	// A domain error by its code; anything else is Internal: a generic 500.
	return newProblem(statusOf[posts.ErrorCode(err)], posts.ErrorMessage(err), nil)
}

func newProblem(status int, detail string, errs []api.ProblemError) problem {
	return problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Errors: errs}
}

func writeProblem(c echo.Context, p problem) {
	body, err := json.Marshal(p)
	if err != nil { // cannot happen: the fields are strings and ints
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.Blob(p.Status, "application/problem+json", body)
}
