package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Config) string // "" when cfg is as wanted
		wantErr string
	}{
		{
			name: "defaults",
			env:  nil,
			check: func(c Config) string {
				if c.Port != 3000 || c.LogLevel != slog.LevelInfo || c.LogFormat != "json" || c.MigrateOnStart ||
					c.ShutdownTimeout != 20*time.Second || c.DatabaseURL != "" || c.CursorSecret == "" {
					return "want port 3000, info, json, no migrate, 20s shutdown, no database URL, a cursor secret"
				}
				return ""
			},
		},
		{
			name: "everything set",
			env: map[string]string{"PORT": "8080", "LOG_LEVEL": "debug", "LOG_FORMAT": "TEXT", "MIGRATE_ON_START": "true",
				"SHUTDOWN_TIMEOUT": "5s", "DB_CONNECTION_STRING": " postgresql://u:p@db/x ", "CURSOR_SECRET": "s"},
			check: func(c Config) string {
				if c.Port != 8080 || c.LogLevel != slog.LevelDebug || c.LogFormat != "text" || !c.MigrateOnStart ||
					c.ShutdownTimeout != 5*time.Second || c.DatabaseURL != "postgresql://u:p@db/x" || c.CursorSecret != "s" {
					return "want every variable taken, the URL trimmed"
				}
				return ""
			},
		},
		{name: "bad port", env: map[string]string{"PORT": "http"}, wantErr: "PORT"},
		{name: "port out of range", env: map[string]string{"PORT": "70000"}, wantErr: "PORT"},
		{name: "bad level", env: map[string]string{"LOG_LEVEL": "loud"}, wantErr: "LOG_LEVEL"},
		{name: "bad format", env: map[string]string{"LOG_FORMAT": "xml"}, wantErr: "LOG_FORMAT"},
		{name: "bad bool", env: map[string]string{"MIGRATE_ON_START": "yes please"}, wantErr: "MIGRATE_ON_START"},
		{name: "bad duration", env: map[string]string{"SHUTDOWN_TIMEOUT": "20"}, wantErr: "SHUTDOWN_TIMEOUT"},
		{name: "negative timeout", env: map[string]string{"REQUEST_TIMEOUT": "-1s"}, wantErr: "REQUEST_TIMEOUT"},
		{name: "pool sizes crossed", env: map[string]string{"DB_MAX_CONNS": "2", "DB_MIN_CONNS": "5"}, wantErr: "DB_MIN_CONNS"},
		{
			name: "pool, timeouts and CORS",
			env: map[string]string{"DB_MAX_CONNS": "4", "DB_MIN_CONNS": "0", "REQUEST_TIMEOUT": "250ms",
				"HTTP_READ_TIMEOUT": "3s", "CORS_ALLOWED_ORIGINS": " https://a.example , https://b.example,"},
			check: func(c Config) string {
				if c.DBMaxConns != 4 || c.DBMinConns != 0 || c.RequestTimeout != 250*time.Millisecond || c.ReadTimeout != 3*time.Second ||
					len(c.CORSAllowedOrigins) != 2 || c.CORSAllowedOrigins[1] != "https://b.example" {
					return "want the pool sizes, timeouts and the two origins"
				}
				return ""
			},
		},
		{name: "every error reported", env: map[string]string{"PORT": "x", "LOG_FORMAT": "xml"}, wantErr: "LOG_FORMAT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := FromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FromEnv(%v): error %v; want one naming %s", tc.env, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv(%v): %v", tc.env, err)
			}
			if msg := tc.check(cfg); msg != "" {
				t.Errorf("FromEnv(%v) = %+v; %s", tc.env, cfg, msg)
			}
		})
	}
}
