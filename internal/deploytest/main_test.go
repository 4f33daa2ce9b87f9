package deploytest_test

import (
	"testing"

	"pixelpals/internal/deploytest"
)

func TestMain(m *testing.M) { deploytest.Main(m) }
