package app

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuilder is a strings.Builder safe for the flusher and the test.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogOutputWritesEveryLineOut(t *testing.T) {
	var written lockedBuilder
	out := newLogOutput(&written)
	logger := slog.New(flushingHandler{slog.NewTextHandler(out, nil), out})

	logger.Info("request", "n", 1)
	if got := written.String(); got != "" {
		t.Errorf("an info line was written at once (%q); want it held for the next flush", got)
	}
	deadline := time.Now().Add(20 * logFlushInterval)
	for !strings.Contains(written.String(), "n=1") && time.Now().Before(deadline) {
		time.Sleep(logFlushInterval / 10)
	}
	if !strings.Contains(written.String(), "n=1") {
		t.Fatalf("after %v: %q; want the info line written by the periodic flush", 20*logFlushInterval, written.String())
	}

	logger.Info("request", "n", 2)
	logger.With("component", "pool").Warn("slow")
	if got := written.String(); !strings.Contains(got, "n=2") || !strings.Contains(got, "component=pool") {
		t.Errorf("after a warning: %q; want it and every line before it written at once", got)
	}

	logger.Info("stopped")
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if got := written.String(); !strings.Contains(got, "msg=stopped") {
		t.Errorf("after Close: %q; want the last line written", got)
	}
}
