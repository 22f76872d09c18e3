// Package api holds the OpenAPI document, the source of truth for the HTTP
// surface. The code generated from it lives in gen/api and gen/client.
package api

import _ "embed"

// OpenAPIYAML is api/openapi.yaml as written, served at /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
