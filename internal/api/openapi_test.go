package api_test

import (
	"slices"
	"strings"
	"testing"

	"pixelpals/internal/apitest"
)

// TestOpenAPIMatchesRoutes fails when a route is missing from the served
// OpenAPI document or the document names a route that does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	env := apitest.New(t)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	env.Anonymous().Must(200, "GET", "/openapi.json", nil, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	routes := apiRoutes(t)
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.json describes %s, which is not a route", d)
		}
	}
}
