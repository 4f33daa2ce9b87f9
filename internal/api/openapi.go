package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
)

// The OpenAPI 3.1 description is written by hand, one fragment per feature
// under openapi/: base.json holds the document's frame and shared
// components, each other file a "paths" object (and, if it needs them,
// "components": {"schemas"} of its own). TestOpenAPIMatchesRoutes
// keeps the paths equal to the route table.
//
//go:embed openapi/*.json
var openapiFiles embed.FS

var openapiDoc = mustBuildOpenAPI()

func mustBuildOpenAPI() []byte {
	doc, err := buildOpenAPI()
	if err != nil {
		panic(err) // a broken embedded fragment is a build defect
	}
	return doc
}

func buildOpenAPI() ([]byte, error) {
	var doc map[string]any
	base, err := openapiFiles.ReadFile("openapi/base.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi/base.json: %w", err)
	}
	paths := map[string]any{}
	names, err := fs.Glob(openapiFiles, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if path.Base(name) == "base.json" {
			continue
		}
		b, err := openapiFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var frag struct {
			Paths      map[string]map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := mergeSchemas(doc, frag.Components.Schemas); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for p, ops := range frag.Paths {
			merged, _ := paths[p].(map[string]any)
			if merged == nil {
				merged = map[string]any{}
			}
			for method, op := range ops {
				if _, dup := merged[method]; dup {
					return nil, fmt.Errorf("%s: %s %s described twice", name, method, p)
				}
				merged[method] = op
			}
			paths[p] = merged
		}
	}
	doc["paths"] = paths
	return json.MarshalIndent(doc, "", "  ")
}

// mergeSchemas adds a fragment's component schemas to the document's.
func mergeSchemas(doc map[string]any, schemas map[string]any) error {
	if len(schemas) == 0 {
		return nil
	}
	components, _ := doc["components"].(map[string]any)
	if components == nil {
		components = map[string]any{}
		doc["components"] = components
	}
	all, _ := components["schemas"].(map[string]any)
	if all == nil {
		all = map[string]any{}
		components["schemas"] = all
	}
	for name, schema := range schemas {
		if _, dup := all[name]; dup {
			return fmt.Errorf("schema %s described twice", name)
		}
		all[name] = schema
	}
	return nil
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiDoc)
}

// OpenAPIDocument returns the OpenAPI document the API serves, for tests
// that hold every request and response to it.
func OpenAPIDocument() []byte { return openapiDoc }
