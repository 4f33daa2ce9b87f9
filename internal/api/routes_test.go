package api_test

import (
	"testing"

	"pixelpals/internal/api"
)

func apiRoutes(t *testing.T) []string {
	t.Helper()
	return api.Routes()
}
