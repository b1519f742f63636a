package store

import (
	"testing"

	"github.com/shepherd-release/shepherd/internal/store/miniotest"
)

func TestMain(m *testing.M) { miniotest.Main(m) }
