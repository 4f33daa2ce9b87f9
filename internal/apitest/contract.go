package apitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"pixelpals/internal/api"
)

// The contract is the OpenAPI document the API serves. Every request a
// Client sends and every response it gets are checked against it (with
// kin-openapi's openapi3filter), so a field, status or error shape that
// differs from the document fails the test that met it:
//
//   - a request the document accepts must get a response the document
//     describes for that operation and status;
//   - a request the document rejects (a bad-input test) must be refused
//     with a 4xx in the documented error shape;
//   - a request for a path or method the document does not have must get
//     404 or 405 in the error shape.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	ctx := context.Background()
	// The unsubscribe link's pages (internal/api/unsubscribe.go) are HTML:
	// checked as text against their schema.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIDocument())
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route openapi.json: %w", err)
	}
	return &contract{doc: doc, router: router}, nil
})

var filterOptions = &openapi3filter.Options{
	// Who may call is the API's to decide (and the matrix's to test);
	// the document only names the schemes.
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	MultiError:         true,
	// Responses carry their schema's content type only.
	IncludeResponseStatus: true,
}

// check holds one exchange to the document and returns what differs, or
// "" when it conforms. req is the request as sent, body its body.
func (c *contract) check(req *http.Request, body []byte, resp *Response) string {
	ctx := context.Background()
	probe := req.Clone(ctx)
	probe.Body = io.NopCloser(bytes.NewReader(body))
	// The document's server is relative (/api/v1): route on the path.
	probe.URL.Scheme, probe.URL.Host, probe.Host = "", "", ""
	errorShape := func() string {
		if resp.Status < 400 || resp.Status > 599 {
			return ""
		}
		schema := c.doc.Components.Schemas["Error"]
		var v any
		if err := jsonUnmarshal(resp.Body, &v); err != nil {
			return fmt.Sprintf("error body is not JSON: %v: %s", err, resp.Body)
		}
		if err := schema.Value.VisitJSON(v); err != nil {
			return fmt.Sprintf("error body does not match the Error schema: %v", err)
		}
		return ""
	}
	route, params, err := c.router.FindRoute(probe)
	if err != nil {
		if resp.Status != http.StatusNotFound && resp.Status != http.StatusMethodNotAllowed {
			return fmt.Sprintf("%s %s is not in openapi.json (%v), yet it answered %d", req.Method, req.URL.Path, err, resp.Status)
		}
		return errorShape()
	}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: filterOptions}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		if resp.Status < 400 || resp.Status > 499 {
			return fmt.Sprintf("openapi.json rejects the request, yet it answered %d: %v", resp.Status, err)
		}
		return errorShape()
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.Status,
		Header: resp.Header, Options: filterOptions}
	out.SetBodyBytes(resp.Body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Sprintf("the response differs from openapi.json: %v", strings.ReplaceAll(err.Error(), "\n", "\n\t"))
	}
	return ""
}
