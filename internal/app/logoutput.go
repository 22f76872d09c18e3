package app

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushInterval is how long a request log line may wait in memory.
const logFlushInterval = 100 * time.Millisecond

// logOutput buffers the server's log lines and writes them out together:
// every logFlushInterval, when the buffer is full, at once after a warning
// or an error, and when the server stops. One write per request line was a
// system call per request, a tenth of the cost of a create under load.
// What a crash (not a panic in a handler: those are recovered and logged as
// errors) can lose is the last interval's request lines.
type logOutput struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogOutput(w io.Writer) *logOutput {
	out := &logOutput{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go out.flushEvery(logFlushInterval)
	return out
}

func (o *logOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Write(p)
}

func (o *logOutput) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Flush()
}

func (o *logOutput) flushEvery(d time.Duration) {
	defer close(o.done)
	ticker := time.NewTicker(d)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			_ = o.Flush()
		case <-o.stop:
			return
		}
	}
}

// Close stops the periodic flushes and writes out what is left.
func (o *logOutput) Close() error {
	close(o.stop)
	<-o.done
	return o.Flush()
}

// flushingHandler writes a record of level Warn or above out at once, with
// everything logged before it.
type flushingHandler struct {
	slog.Handler
	out *logOutput
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if flushErr := h.out.Flush(); err == nil {
			err = flushErr
		}
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.out}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.out}
}
