package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"pixelpals/internal/api"
	"pixelpals/internal/apitest"
)

// TestOpenAPIMatchesRoutes fails when a route is missing from the served
// OpenAPI document or the document names a route that does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
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
	// The index and the document itself are served outside the route
	// table, without a session.
	routes := append(apiRoutes(t), "GET /", "GET /openapi.json")
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

// TestOpenAPIOperationIDs: every operation has an operationId, unique, so
// generated clients keep their method names; the document has a license.
func TestOpenAPIOperationIDs(t *testing.T) {
	var doc struct {
		Info struct {
			License struct{ Name string } `json:"license"`
		} `json:"info"`
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.License.Name == "" {
		t.Error("openapi.json has no license")
	}
	seen := map[string]string{}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			where := strings.ToUpper(m) + " " + p
			switch prev, dup := seen[op.OperationID]; {
			case op.OperationID == "":
				t.Errorf("%s has no operationId", where)
			case dup:
				t.Errorf("%s and %s share operationId %q", where, prev, op.OperationID)
			}
			seen[op.OperationID] = where
		}
	}
}
