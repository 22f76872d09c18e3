package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/posts-api/posts/gen/api"
)

// maxBodyBytes is the largest request body accepted (1 MiB).
const maxBodyBytes = 1 << 20

// The body problems the validator answers before any schema check.
var (
	errBodyTooLarge = &requestError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("The body must be at most %d bytes.", maxBodyBytes)}
	errNotJSON      = &requestError{status: http.StatusUnsupportedMediaType, detail: "The body must be application/json."}
	errNoBody       = &requestError{status: http.StatusBadRequest, detail: "A JSON body is required."}
)

// requestValidator checks every request against the OpenAPI spec before a
// handler sees it, so that the spec is the one place where the rules live.
// Routing is Echo's: its route template (c.Path) finds the operation in a
// map built once, so validation costs no per-request spec lookups.
type requestValidator struct {
	routes        map[string]*operation // "METHOD /echo/:path" → operation
	options       *openapi3filter.Options
	schemaOptions []openapi3.SchemaValidationOption
}

func newRequestValidator(spec *openapi3.T) *requestValidator {
	spec.SetStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
	spec.SetStringFormatValidator("email", emailFormat{})
	schemaOptions := append(spec.GetSchemaValidationOptions(), openapi3.MultiErrors(), openapi3.VisitAsRequest())
	v := &requestValidator{
		routes: make(map[string]*operation),
		options: &openapi3filter.Options{
			ExcludeRequestBody:      true, // read and checked by checkBody, with its own limits
			MultiError:              true,
			AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
			SchemaValidationOptions: spec.GetSchemaValidationOptions(),
		},
		schemaOptions: schemaOptions,
	}
	for path, item := range spec.Paths.Map() {
		echoPath := strings.NewReplacer("{", ":", "}", "").Replace(path)
		for method, op := range item.Operations() {
			o := newOperation(&routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op})
			v.routes[method+" "+echoPath] = o
			if method == http.MethodGet { // served for HEAD too (withHEAD)
				v.routes[http.MethodHead+" "+echoPath] = o
			}
		}
	}
	return v
}

// operation is an API operation, with what the validator knows of it
// before any request.
type operation struct {
	route *routers.Route
	// onlyOptionalParams: every parameter is optional and in the query or
	// a header, and no security is asked for. A request that sends none of
	// the headers, and only query values that pass their quick check, has
	// nothing for kin-openapi to refuse, and skips it: for GET /posts, the
	// commonest request, that is a tenth of the service's work.
	onlyOptionalParams bool
	headerParams       []string
	queryParams        []queryParam
}

// queryParam is a query parameter as the validator sees it.
type queryParam struct {
	name string
	// single: it holds one value (it is not an array). kin-openapi reads the
	// first of repeated ones; checkParams refuses them.
	single bool
	// check is its quick check: nil when its schema is not one quickCheck knows.
	check func(value string) bool
}

func newOperation(route *routers.Route) *operation {
	o := &operation{route: route, onlyOptionalParams: len(route.Spec.Security) == 0 && route.Operation.Security == nil}
	// Path-level parameters first: the operation's own override them.
	params := map[string]*openapi3.Parameter{}
	for _, ref := range append(append(openapi3.Parameters{}, route.PathItem.Parameters...), route.Operation.Parameters...) {
		params[ref.Value.In+" "+ref.Value.Name] = ref.Value
	}
	for _, p := range params {
		switch {
		case p.In == openapi3.ParameterInQuery:
			single := p.Schema == nil || p.Schema.Value == nil || !p.Schema.Value.Type.Is(openapi3.TypeArray)
			o.queryParams = append(o.queryParams, queryParam{name: p.Name, single: single, check: quickCheck(p)})
		case p.In == openapi3.ParameterInHeader:
			o.headerParams = append(o.headerParams, http.CanonicalHeaderKey(p.Name))
		default:
			o.onlyOptionalParams = false
		}
		if p.Required {
			o.onlyOptionalParams = false
		}
	}
	if len(o.queryParams) > 64 { // sendsNothingToCheck's bit set
		o.onlyOptionalParams = false
	}
	return o
}

// sendsNothingToCheck tells whether req sends none of o's header
// parameters, and each of its query parameters at most once, with a value
// that passes the parameter's quick check.
func (o *operation) sendsNothingToCheck(req *http.Request) bool {
	for _, name := range o.headerParams {
		if _, ok := req.Header[name]; ok {
			return false
		}
	}
	var seen uint64
	for query := req.URL.RawQuery; query != ""; {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		name, value, ok := strings.Cut(pair, "=")
		if !ok || !plainQueryValue(value) {
			return false
		}
		i := slices.IndexFunc(o.queryParams, func(p queryParam) bool { return p.name == name })
		if i < 0 || seen&(1<<i) != 0 || o.queryParams[i].check == nil || !o.queryParams[i].check(value) {
			return false
		}
		seen |= 1 << i
	}
	return true
}

// plainQueryValue: printable ASCII that needs no unescaping and that no
// parameter style could split (',', ';'), so that the raw value is the
// value kin-openapi would see.
func plainQueryValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x21 || c > 0x7e || c == '%' || c == '+' || c == ',' || c == ';' {
			return false
		}
	}
	return true
}

// quickCheck returns a check of a query parameter's plain value that
// accepts only what kin-openapi accepts too, for the schemas simple enough
// to check without it: an integer within its bounds, written plainly, and a
// string within its lengths. It may refuse what kin-openapi would accept
// ("020", "+20"): such requests go to kin-openapi, as do invalid ones,
// whose problems it describes. nil: the schema has rules beyond those.
func quickCheck(p *openapi3.Parameter) func(string) bool {
	if p.Content != nil || (p.Style != "" && p.Style != openapi3.SerializationForm) || p.Schema == nil || p.Schema.Value == nil {
		return nil
	}
	s := p.Schema.Value
	if len(s.Enum) > 0 || s.Const != nil || s.Not != nil || len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0 || s.ReadOnly || s.WriteOnly {
		return nil
	}
	switch {
	case s.Type.Is(openapi3.TypeInteger) && !s.ExclusiveMin.IsSet() && !s.ExclusiveMax.IsSet() && s.MultipleOf == nil:
		bits := 64
		switch s.Format {
		case "":
		case "int64":
		case "int32":
			bits = 32
		default:
			return nil
		}
		return func(v string) bool {
			digits := strings.TrimPrefix(v, "-")
			if digits == "" || len(digits) > 15 || (digits[0] == '0' && v != "0") {
				return false
			}
			n, err := strconv.ParseInt(v, 10, bits)
			return err == nil && (s.Min == nil || float64(n) >= *s.Min) && (s.Max == nil || float64(n) <= *s.Max)
		}
	case s.Type.Is(openapi3.TypeString) && s.Format == "" && s.Pattern == "":
		return func(v string) bool { // plain values are ASCII: a byte is a character
			return uint64(len(v)) >= s.MinLength && (s.MaxLength == nil || uint64(len(v)) <= *s.MaxLength)
		}
	}
	return nil
}

// emailFormat accepts a bare address (no display name, no comments) that
// net/mail can parse.
type emailFormat struct{}

func (emailFormat) Validate(s string) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return errors.New("not an email address")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return errors.New("not an email address")
	}
	return nil
}

func (v *requestValidator) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		op, ok := v.routes[req.Method+" "+c.Path()]
		if !ok { // not an API operation: docs, spec, or no route at all
			return next(c)
		}
		var problems []api.ProblemError
		if rb := op.route.Operation.RequestBody; rb != nil && rb.Value != nil {
			body, bodyProblems, err := v.checkBody(req, rb.Value)
			if err != nil {
				return err
			}
			problems = bodyProblems
			req.Body = body
		}

		if !op.onlyOptionalParams || !op.sendsNothingToCheck(req) {
			problems = append(v.checkParams(c, op), problems...)
		}
		if len(problems) > 0 {
			return &requestError{status: http.StatusBadRequest, detail: "The request is not valid.", errors: problems}
		}
		return next(c)
	}
}

// checkParams checks the request's parameters (path, query, headers).
func (v *requestValidator) checkParams(c echo.Context, op *operation) []api.ProblemError {
	var pathParams map[string]string // nil for routes without any
	for i, name := range c.ParamNames() {
		if pathParams == nil {
			pathParams = make(map[string]string, len(c.ParamNames()))
		}
		pathParams[name] = c.ParamValues()[i]
	}
	req := c.Request()
	var problems []api.ProblemError
	var repeated map[string]bool
	if len(op.queryParams) > 0 {
		query := req.URL.Query()
		for _, p := range op.queryParams {
			if p.single && len(query[p.name]) > 1 {
				if repeated == nil {
					repeated = map[string]bool{}
				}
				repeated[p.name] = true
				problems = append(problems, api.ProblemError{Parameter: &p.name, Detail: "must be given only once"})
			}
		}
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: op.route, Options: v.options}
	if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
		for _, p := range parameterProblems(err) {
			if p.Parameter == nil || !repeated[*p.Parameter] { // one entry per parameter
				problems = append(problems, p)
			}
		}
	}
	return problems
}

// validatedBody replaces the request body once it has been read and
// checked. The generated strict handler binds ValidatedValue instead of
// decoding the body a second time.
type validatedBody struct {
	*bytes.Reader
	value any
}

func (b validatedBody) Close() error        { return nil }
func (b validatedBody) ValidatedValue() any { return b.value }

// checkBody reads the body and checks, in order, its size (413), media type
// (415), encoding and syntax (400), and finally its schema (problems).
func (v *requestValidator) checkBody(req *http.Request, spec *openapi3.RequestBody) (io.ReadCloser, []api.ProblemError, error) {
	if req.ContentLength > maxBodyBytes {
		return nil, nil, errBodyTooLarge
	}
	raw, err := readBody(req.Body, req.ContentLength)
	if err != nil {
		return nil, nil, &requestError{status: http.StatusBadRequest, detail: "The body could not be read."}
	}
	if len(raw) > maxBodyBytes {
		return nil, nil, errBodyTooLarge
	}
	if len(raw) == 0 && req.Header.Get("Content-Type") == "" {
		if spec.Required {
			return nil, nil, errNoBody
		}
		return io.NopCloser(bytes.NewReader(nil)), nil, nil
	}
	mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	content := spec.Content.Get(mediaType)
	if err != nil || content == nil {
		return nil, nil, errNotJSON
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil, errNoBody
	}
	if !utf8.Valid(raw) {
		return nil, nil, &requestError{status: http.StatusBadRequest, detail: "The body is not valid UTF-8."}
	}
	value, err := decodeJSON(raw)
	if err != nil {
		return nil, nil, &requestError{status: http.StatusBadRequest, detail: err.Error()}
	}
	var problems []api.ProblemError
	// In valid JSON, U+0000 can only be spelt \u0000: most bodies need no walk.
	if bytes.Contains(raw, []byte(`\u0000`)) {
		problems = nulProblems(value, "#")
	}
	if content.Schema != nil && content.Schema.Value != nil {
		if err := content.Schema.Value.VisitJSON(value, v.schemaOptions...); err != nil {
			problems = append(problems, schemaProblems(err)...)
		}
	}
	return validatedBody{Reader: bytes.NewReader(raw), value: value}, problems, nil
}

// readBody reads at most maxBodyBytes+1 bytes of body; a Content-Length
// (which net/http holds the body to) sizes the buffer in one allocation.
func readBody(body io.Reader, contentLength int64) ([]byte, error) {
	if contentLength <= 0 || contentLength > maxBodyBytes {
		return io.ReadAll(io.LimitReader(body, maxBodyBytes+1))
	}
	raw := make([]byte, contentLength)
	n, err := io.ReadFull(body, raw)
	return raw[:n], err
}

// decodeJSON decodes exactly one JSON value, with an error fit for a client.
func decodeJSON(raw []byte) (any, error) {
	var value any
	err := json.Unmarshal(raw, &value)
	if err == nil {
		return value, nil
	}
	var syntaxErr *json.SyntaxError
	switch {
	case !errors.As(err, &syntaxErr):
		return nil, errors.New("The body is not valid JSON.")
	case strings.HasSuffix(syntaxErr.Error(), "after top-level value"):
		return nil, errors.New("The body is not valid JSON: it holds more than one value.")
	case syntaxErr.Offset >= int64(len(raw)):
		return nil, errors.New("The body is not valid JSON: unexpected end of input.")
	}
	return nil, fmt.Errorf("The body is not valid JSON: syntax error at byte %d.", syntaxErr.Offset)
}

// nulProblems finds strings holding U+0000, which PostgreSQL cannot store
// in text: they are refused here rather than failing in the database.
func nulProblems(value any, pointer string) []api.ProblemError {
	var problems []api.ProblemError
	switch v := value.(type) {
	case string:
		if strings.ContainsRune(v, 0) {
			problems = append(problems, api.ProblemError{Pointer: &pointer, Detail: "must not contain the NUL character (U+0000)"})
		}
	case map[string]any:
		for key, item := range v {
			problems = append(problems, nulProblems(item, pointer+"/"+escapePointer(key))...)
		}
	case []any:
		for i, item := range v {
			problems = append(problems, nulProblems(item, fmt.Sprintf("%s/%d", pointer, i))...)
		}
	}
	return problems
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapePointer(token string) string { return pointerEscaper.Replace(token) }

// schemaProblems turns kin-openapi's schema errors into one problem entry
// per invalid field, with a JSON Pointer and a plain-language detail.
func schemaProblems(err error) []api.ProblemError {
	var problems []api.ProblemError
	seen := make(map[string]bool)
	for _, schemaErr := range schemaErrors(err) {
		pointer, detail := describe(schemaErr)
		if seen[pointer] { // one entry per field: the first rule it breaks
			continue
		}
		seen[pointer] = true
		problems = append(problems, api.ProblemError{Pointer: &pointer, Detail: detail})
	}
	if len(problems) == 0 {
		pointer := "#"
		problems = append(problems, api.ProblemError{Pointer: &pointer, Detail: "does not match the schema"})
	}
	return problems
}

func schemaErrors(err error) []*openapi3.SchemaError {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		var all []*openapi3.SchemaError
		for _, e := range multi {
			all = append(all, schemaErrors(e)...)
		}
		return all
	}
	var schemaErr *openapi3.SchemaError
	if errors.As(err, &schemaErr) {
		return []*openapi3.SchemaError{schemaErr}
	}
	return nil
}

// describe returns where a schema error is and what is wrong, without
// echoing the value or the schema.
func describe(e *openapi3.SchemaError) (pointer, detail string) {
	path := e.JSONPointer()
	for i := range path {
		path[i] = escapePointer(path[i])
	}
	pointer = "#"
	if len(path) > 0 {
		pointer += "/" + strings.Join(path, "/")
	}
	s := e.Schema
	switch e.SchemaField {
	case "required": // the pointer already names the missing property
		return pointer, "is required"
	case "properties": // a property additionalProperties: false does not allow
		var name string
		if _, err := fmt.Sscanf(e.Reason, "property %q is unsupported", &name); err == nil {
			return pointer + "/" + escapePointer(name), fmt.Sprintf("unknown field %q", name)
		}
	case "nullable":
		return pointer, "must not be null"
	case "type":
		if e.Value == nil {
			return pointer, "must not be null"
		}
	}
	return pointer, constraintDetail(e.SchemaField, s)
}

// constraintDetail says in words which constraint of s a value broke.
func constraintDetail(field string, s *openapi3.Schema) string {
	if s == nil {
		return "is not valid"
	}
	switch field {
	case "type":
		if s.Type.Is("integer") {
			return "must be an integer"
		}
		if types := s.Type.Slice(); len(types) > 0 {
			if types[0] == "object" || types[0] == "array" {
				return "must be an " + types[0]
			}
			return "must be a " + types[0]
		}
	case "minLength":
		if s.MinLength == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters", s.MinLength)
	case "maxLength":
		if s.MaxLength != nil {
			return fmt.Sprintf("must be at most %d characters", *s.MaxLength)
		}
	case "pattern":
		if s.Pattern == `\S` {
			return "must not be blank"
		}
		return fmt.Sprintf("must match the pattern %s", s.Pattern)
	case "format":
		switch s.Format {
		case "email":
			return "must be an email address"
		case "uuid":
			return "must be a UUID"
		}
		return "must be in the " + s.Format + " format"
	case "minimum":
		if s.Min != nil {
			return fmt.Sprintf("must be at least %g", *s.Min)
		}
	case "maximum":
		if s.Max != nil {
			return fmt.Sprintf("must be at most %g", *s.Max)
		}
	}
	return "is not valid"
}

// parameterProblems turns parameter errors into one entry per parameter.
func parameterProblems(err error) []api.ProblemError {
	var reqErrs []*openapi3filter.RequestError
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		for _, e := range multi {
			var reqErr *openapi3filter.RequestError
			if errors.As(e, &reqErr) {
				reqErrs = append(reqErrs, reqErr)
			}
		}
	} else {
		var reqErr *openapi3filter.RequestError
		if errors.As(err, &reqErr) {
			reqErrs = append(reqErrs, reqErr)
		}
	}
	var problems []api.ProblemError
	for _, reqErr := range reqErrs {
		if reqErr.Parameter == nil {
			continue
		}
		name := reqErr.Parameter.Name
		detail := "is not valid"
		if errs := schemaErrors(reqErr.Err); len(errs) > 0 {
			_, detail = describe(errs[0])
		} else if reqErr.Err != nil && reqErr.Parameter.Schema != nil {
			// A value that does not parse as the parameter's type.
			detail = constraintDetail("type", reqErr.Parameter.Schema.Value)
		} else if reqErr.Reason != "" && reqErr.Err == nil {
			detail = "is required"
		}
		problems = append(problems, api.ProblemError{Parameter: &name, Detail: detail})
	}
	if len(problems) == 0 {
		name := "request"
		problems = append(problems, api.ProblemError{Parameter: &name, Detail: "is not valid"})
	}
	return problems
}
