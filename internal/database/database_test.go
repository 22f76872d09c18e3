package database

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name, in             string
		wantUser, wantPass   string
		wantHost, wantDBName string
	}{
		{"postgres scheme", "postgres://app:pw@db.example:5432/posts", "app", "pw", "db.example", "posts"},
		{"postgresql scheme", "postgresql://app:pw@db.example:5432/posts", "app", "pw", "db.example", "posts"},
		{"encoded password", "postgresql://app:p%40ss%2Fw@db.example:5432/posts", "app", "p@ss/w", "db.example", "posts"},
		// Stacktape pastes the password in without URL-encoding it.
		{"raw reserved characters", "postgresql://app:p@ss/w:rd#1?x@db.example:5432/defdb", "app", "p@ss/w:rd#1?x", "db.example", "defdb"},
		{"raw percent", "postgresql://app:100%sure@db.example:5432/defdb", "app", "100%sure", "db.example", "defdb"},
		{"raw @ and / that would parse wrongly", "postgresql://app:p@ss/w0rd@db.example:5432/defdb", "app", "p@ss/w0rd", "db.example", "defdb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseURL(tc.in)
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tc.in, err)
			}
			c := cfg.ConnConfig
			if c.User != tc.wantUser || c.Password != tc.wantPass || c.Host != tc.wantHost || c.Database != tc.wantDBName {
				t.Errorf("ParseURL(%q) = user %q, password %q, host %q, db %q; want %q, %q, %q, %q",
					tc.in, c.User, c.Password, c.Host, c.Database, tc.wantUser, tc.wantPass, tc.wantHost, tc.wantDBName)
			}
		})
	}
	if _, err := ParseURL("postgres://app:secret@db:notaport/x"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("ParseURL of a bad URL: error %v; want an error that hides the password", err)
	}
}

func TestRedact(t *testing.T) {
	got := Redact("postgresql://app:p@ss/w0rd@db.example:5432/defdb")
	if strings.Contains(got, "w0rd") || !strings.Contains(got, "db.example") {
		t.Errorf("Redact = %q; want the host without the password", got)
	}
}

func TestParseURLRequiresTLSOffThisMachine(t *testing.T) {
	tests := []struct {
		in      string
		wantTLS bool // TLS required, no plain-text fallback
	}{
		{"postgres://app:pw@db.example:5432/posts", true},
		{"postgresql://app:p@ss@mydb.abc.eu-west-1.rds.amazonaws.com:5432/defdb", true},
		{"postgres://app:pw@db.example:5432/posts?sslmode=disable", false},
		{"postgres://app:pw@127.0.0.1:5432/posts", false},
		{"postgres://app:pw@localhost/posts", false},
		{"postgres://app:pw@[::1]:5432/posts", false},
	}
	for _, tc := range tests {
		cfg, err := ParseURL(tc.in)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", tc.in, err)
		}
		plaintextPossible := cfg.ConnConfig.TLSConfig == nil
		for _, fb := range cfg.ConnConfig.Fallbacks {
			if fb.TLSConfig == nil {
				plaintextPossible = true
			}
		}
		if gotTLS := !plaintextPossible; gotTLS != tc.wantTLS {
			t.Errorf("ParseURL(%q): TLS required %v; want %v", tc.in, gotTLS, tc.wantTLS)
		}
	}
}
