package httpapi

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
)

// net/http buffers a connection's output in 4 KiB, so a response body
// larger than what is left of that buffer after the headers (a page of
// posts usually is) leaves in two write(2) calls: the full buffer, then the
// rest. Each write on a socket costs a system call, the kernel's TCP work
// and a wake-up of the reader, whatever its size; profiles of GET /posts
// put that second write at a tenth of the server's CPU.
//
// CoalesceWrites joins them: while the handler hands net/http one large
// write, the connection holds what net/http writes through, and sends it
// in one call when that write returns. Nothing is held while a request is
// read (net/http's "100 Continue" must go out at once) or between writes.

// maxHeld bounds what a connection holds; past it, writes go straight out.
const maxHeld = 64 << 10

// heldBuffers are shared by all connections: a buffer is taken only for
// the length of one held write, so idle connections keep none.
var heldBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// coalescingConn is a net.Conn that can hold its writes for a moment.
type coalescingConn struct {
	net.Conn
	held *[]byte // non-nil while holding
}

func (c *coalescingConn) Write(p []byte) (int, error) {
	if c.held != nil && len(*c.held)+len(p) <= maxHeld {
		*c.held = append(*c.held, p...)
		return len(p), nil
	}
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// hold starts holding writes; release sends what was held and stops.
func (c *coalescingConn) hold() {
	c.held = heldBuffers.Get().(*[]byte)
}

func (c *coalescingConn) release() error {
	err := c.flush()
	if cap(*c.held) <= maxHeld {
		heldBuffers.Put(c.held)
	}
	c.held = nil
	return err
}

// flush sends what is held, if anything, and keeps holding.
func (c *coalescingConn) flush() error {
	if c.held == nil || len(*c.held) == 0 {
		return nil
	}
	_, err := c.Conn.Write(*c.held)
	*c.held = (*c.held)[:0]
	if err != nil {
		// net/http believes the held bytes were sent: make sure it does
		// not go on using a connection whose output is cut.
		c.Conn.Close()
	}
	return err
}

type coalescingConnKey struct{}

// coalescingListener wraps every accepted connection in a coalescingConn.
type coalescingListener struct{ net.Listener }

func (l coalescingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &coalescingConn{Conn: c}, nil
}

// CoalesceWrites makes server, serving on the returned listener, send each
// large response write in one system call. It sets server.ConnContext.
func CoalesceWrites(server *http.Server, l net.Listener) net.Listener {
	server.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if cc, ok := c.(*coalescingConn); ok {
			return context.WithValue(ctx, coalescingConnKey{}, cc)
		}
		return ctx
	}
	return coalescingListener{l}
}

// withCoalescedWrites holds the connection's writes around each large
// response write, when the server was set up by CoalesceWrites.
func withCoalescedWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		conn, ok := c.Request().Context().Value(coalescingConnKey{}).(*coalescingConn)
		if ok {
			res := c.Response()
			res.Writer = &coalescingWriter{ResponseWriter: res.Writer, conn: conn}
		}
		return next(c)
	}
}

// bufferedBeforeWrite is what net/http keeps in its own buffers: a write up
// to this size does not reach the connection before the response ends.
const bufferedBeforeWrite = 2 << 10

type coalescingWriter struct {
	http.ResponseWriter
	conn *coalescingConn
}

func (w *coalescingWriter) Write(p []byte) (n int, err error) {
	if len(p) <= bufferedBeforeWrite {
		return w.ResponseWriter.Write(p)
	}
	w.conn.hold()
	defer func() { // deferred: a connection left holding would never answer again
		if releaseErr := w.conn.release(); err == nil {
			err = releaseErr
		}
	}()
	if n, err = w.ResponseWriter.Write(p); err != nil {
		return n, err
	}
	// What is left of p sits in net/http's buffer until the response ends:
	// push it out now, to leave with the rest. The headers are out
	// already, so this does not change the response's framing.
	return n, http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach net/http's writer.
func (w *coalescingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
