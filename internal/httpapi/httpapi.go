// Package httpapi wires the HTTP surface: Echo, the generated strict
// server, request validation against the spec, problem errors, request
// logs, and the documentation routes.
package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"

	specfile "github.com/posts-api/posts/api"
	"github.com/posts-api/posts/gen/api"
)

// Options tune the HTTP layer.
type Options struct {
	// RequestTimeout bounds the work of each request (its context's
	// deadline); zero means none.
	RequestTimeout time.Duration
	// CORSAllowedOrigins lists the origins browsers may call from ("*" for
	// any); empty turns CORS off.
	CORSAllowedOrigins []string
}

// New returns the service's HTTP handler around the API's implementation.
func New(logger *slog.Logger, handlers api.StrictServerInterface, opts Options) (http.Handler, error) {
	// The spec as written (api/openapi.yaml), not oapi-codegen's embedded
	// copy: that one has its operationIds rewritten into Go names.
	spec, err := openapi3.NewLoader().LoadFromData(specfile.OpenAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI spec: %w", err)
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode the OpenAPI spec as JSON: %w", err)
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = handleError(logger)
	e.Use(withCoalescedWrites, withRequestID, withAccessLog(logger), withRecover(logger), withSecurityHeaders)
	if len(opts.CORSAllowedOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  opts.CORSAllowedOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete},
			AllowHeaders:  []string{"Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", requestIDHeader},
			ExposeHeaders: []string{"Location", "ETag", "Link", "Retry-After", requestIDHeader},
			MaxAge:        600,
		}))
	}
	if opts.RequestTimeout > 0 {
		e.Use(withTimeout(opts.RequestTimeout))
	}
	e.Use(newRequestValidator(spec).middleware)

	api.RegisterHandlers(withHEAD{e}, api.NewStrictHandler(handlers, nil))

	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", specfile.OpenAPIYAML)
	})
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, specJSON)
	})
	docs := echo.WrapHandler(v5emb.NewHandlerWithConfig(swgui.Config{
		Title:       spec.Info.Title,
		SwaggerJSON: "/openapi.json",
		BasePath:    "/docs/",
		// The UI must work offline: no calls to the public spec validator.
		SettingsUI: map[string]string{"validatorUrl": "null"},
	}))
	e.GET("/docs", docs) // the page's assets are under /docs/, so both spellings work
	e.GET("/docs/", docs)
	e.GET("/docs/*", docs)
	return e, nil
}

// withHEAD registers every GET operation for HEAD too, as HTTP expects:
// net/http sends the headers of the GET response and drops its body.
type withHEAD struct{ *echo.Echo }

func (r withHEAD) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	r.Echo.HEAD(path, h, m...)
	return r.Echo.GET(path, h, m...)
}
