package ratelimit_test

import (
	"testing"

	"pixelpals/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
