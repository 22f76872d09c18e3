package database_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/posts-api/posts/internal/database"
	"github.com/posts-api/posts/internal/database/databasetest"
)

func TestMain(m *testing.M) { os.Exit(databasetest.Main(m)) }

func TestNewPoolSetsPlanCacheMode(t *testing.T) {
	dbURL := databasetest.New(t)
	for _, tc := range []struct{ mode, want string }{
		{"force_generic_plan", "force_generic_plan"},
		{"", "auto"}, // nothing sent: the server's default stands
	} {
		pool, err := database.NewPool(context.Background(), dbURL, database.PoolOptions{MaxConns: 1, ConnectTimeout: time.Second, PlanCacheMode: tc.mode})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = pool.QueryRow(context.Background(), "SHOW plan_cache_mode").Scan(&got)
		pool.Close()
		if err != nil || got != tc.want {
			t.Errorf("PlanCacheMode %q: the session's plan_cache_mode is %q (%v); want %q", tc.mode, got, err, tc.want)
		}
	}
}
