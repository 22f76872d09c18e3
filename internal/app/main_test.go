package app_test

import (
	"os"
	"testing"

	"github.com/posts-api/posts/internal/database/databasetest"
)

func TestMain(m *testing.M) { os.Exit(databasetest.Main(m)) }
