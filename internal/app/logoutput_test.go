package app

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogOutputWritesEveryLineOut(t *testing.T) {
	// A file, which the flusher may write while the test reads it.
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	written := func() string {
		b, err := os.ReadFile(file.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	out := newLogOutput(file)
	logger := slog.New(flushingHandler{slog.NewTextHandler(out, nil), out})

	logger.Info("request", "n", 1)
	if got := written(); got != "" {
		t.Errorf("an info line was written at once (%q); want it held for the next flush", got)
	}
	deadline := time.Now().Add(20 * logFlushInterval)
	for !strings.Contains(written(), "n=1") && time.Now().Before(deadline) {
		time.Sleep(logFlushInterval / 10)
	}
	if !strings.Contains(written(), "n=1") {
		t.Fatalf("after %v: %q; want the info line written by the periodic flush", 20*logFlushInterval, written())
	}

	logger.Info("request", "n", 2)
	logger.With("component", "pool").Warn("slow")
	if got := written(); !strings.Contains(got, "n=2") || !strings.Contains(got, "component=pool") {
		t.Errorf("after a warning: %q; want it and every line before it written at once", got)
	}

	logger.Info("stopped")
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if got := written(); !strings.Contains(got, "msg=stopped") {
		t.Errorf("after Close: %q; want the last line written", got)
	}
}
