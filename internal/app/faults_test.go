package app_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posts-api/posts/internal/database/databasetest"
)

// tcpProxy stands between the service and PostgreSQL, and can cut the
// connection (refuse and drop everything), stall it (hold every byte), and
// restore it.
type tcpProxy struct {
	listener net.Listener
	target   string

	mu      sync.Mutex
	changed *sync.Cond
	cut     bool
	stalled bool
	conns   map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{listener: l, target: target, conns: make(map[net.Conn]bool)}
	p.changed = sync.NewCond(&p.mu)
	go p.accept()
	t.Cleanup(func() { l.Close(); p.Cut() })
	return p
}

func (p *tcpProxy) Addr() string { return p.listener.Addr().String() }

func (p *tcpProxy) accept() {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.track(client, server)
		go p.pipe(client, server)
		go p.pipe(server, client)
	}
}

func (p *tcpProxy) track(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		p.conns[c] = true
	}
}

// pipe copies from src to dst, holding the data while the proxy is stalled.
func (p *tcpProxy) pipe(src, dst net.Conn) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		for p.stalled && !p.cut {
			p.changed.Wait()
		}
		cut := p.cut
		p.mu.Unlock()
		if cut {
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Cut refuses new connections and drops the open ones, as a database that
// went away would.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = make(map[net.Conn]bool)
	p.changed.Broadcast()
}

// Stall keeps every connection open but forwards nothing, as a database
// that hangs would.
func (p *tcpProxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
}

// Restore lets traffic through again.
func (p *tcpProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.stalled = false, false
	p.changed.Broadcast()
}

// throughProxy returns dbURL pointed at the proxy instead of the database.
func throughProxy(t *testing.T, dbURL string) (string, *tcpProxy) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.Addr()
	return u.String(), proxy
}

// timedGet returns the status of GET url and how long it took.
func timedGet(t *testing.T, url string) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v (the server must answer, not hang up)", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

func waitForStatus(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		status, _ := timedGet(t, url)
		if status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: still %d after %v; want %d", url, status, within, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDatabaseOutageAndRecovery(t *testing.T) {
	t.Parallel()
	dbURL, proxy := throughProxy(t, databasetest.New(t))
	s := startServer(t, map[string]string{"DB_CONNECTION_STRING": dbURL, "REQUEST_TIMEOUT": "1s", "DB_CONNECT_TIMEOUT": "1s"})
	mustCreate(t, s.Client, newPost("before the outage", "ada@example.com", nil))

	proxy.Cut()
	for range 5 {
		status, took := timedGet(t, s.URL+"/posts")
		if status != http.StatusServiceUnavailable || took > time.Second {
			t.Errorf("GET /posts during an outage: %d after %v; want 503 at once\nlogs: %s", status, took, s.Logs)
		}
	}
	if status, _ := timedGet(t, s.URL+"/healthz"); status != http.StatusOK {
		t.Errorf("GET /healthz during an outage: %d; want 200", status)
	}
	if status, _ := timedGet(t, s.URL+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz during an outage: %d; want 503", status)
	}

	proxy.Restore()
	waitForStatus(t, s.URL+"/posts", http.StatusOK, 5*time.Second)
	waitForStatus(t, s.URL+"/readyz", http.StatusOK, 5*time.Second)
	mustCreate(t, s.Client, newPost("after the outage", "ada@example.com", nil))
}

func TestStalledDatabaseTimesOut(t *testing.T) {
	t.Parallel()
	dbURL, proxy := throughProxy(t, databasetest.New(t))
	s := startServer(t, map[string]string{"DB_CONNECTION_STRING": dbURL, "REQUEST_TIMEOUT": "500ms", "DB_CONNECT_TIMEOUT": "500ms"})
	mustCreate(t, s.Client, newPost("before the stall", "ada@example.com", nil))

	proxy.Stall()
	for _, path := range []string{"/posts", "/readyz"} {
		status, took := timedGet(t, s.URL+path)
		if status != http.StatusServiceUnavailable || took > 3*time.Second {
			t.Errorf("GET %s with the database stalled: %d after %v; want 503 within the request timeout", path, status, took)
		}
	}
	status, _, body := send(t, "POST", s.URL+"/posts", nil, `{"title": "during the stall", "authorEmail": "ada@example.com"}`)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "unavailable") {
		t.Errorf("POST /posts with the database stalled: %d %s; want 503", status, body)
	}

	proxy.Restore()
	waitForStatus(t, s.URL+"/posts", http.StatusOK, 5*time.Second)
}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"HTTP_READ_TIMEOUT": "1s", "HTTP_READ_HEADER_TIMEOUT": "1s"})

	deep := `{"title": ` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `, "authorEmail": "a@b.co"}`
	if status, _, body := send(t, "POST", s.URL+"/posts", nil, deep); status != http.StatusBadRequest {
		t.Errorf("deeply nested JSON: got %d %.200s; want 400", status, body)
	}
	manyFields := "{" + strings.Repeat(`"x": 1, `, 50_000) + `"title": "t", "authorEmail": "a@b.co"}`
	if status, _, body := send(t, "POST", s.URL+"/posts", nil, manyFields); status != http.StatusBadRequest {
		t.Errorf("50,000 fields: got %d %.200s; want 400", status, body)
	}
	if status, _, _ := send(t, "GET", s.URL+"/posts", map[string]string{"X-Huge": strings.Repeat("h", 100<<10)}, ""); status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB header: got %d; want 431", status)
	}

	// Slowloris: headers, then a body that never finishes. The server must
	// hang up on its own, store nothing, and keep serving others.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /posts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"title\": \"slow")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	reply, err := io.ReadAll(conn)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Errorf("slow body: the connection was still open after 5s; want it closed after the 1s read timeout")
	} else if strings.HasPrefix(string(reply), "HTTP/1.1 5") {
		t.Errorf("slow body: got %q; want a 4xx or a closed connection", reply)
	}
	t.Logf("slow body: closed after %v with %q", time.Since(start).Round(time.Millisecond), firstLine(string(reply)))
	if status, _ := timedGet(t, s.URL+"/posts"); status != http.StatusOK {
		t.Errorf("GET /posts after the slow client: %d; want 200", status)
	}
	if n := countPosts(t, s.DBURL); n != 0 {
		t.Errorf("%d posts stored from hostile requests; want 0", n)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

func TestCORS(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example"})
	status, h, _ := send(t, "OPTIONS", s.URL+"/posts/01939c7e-0000-7000-8000-000000000000",
		map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "if-match, content-type"}, "")
	if status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") {
		t.Errorf("preflight from an allowed origin: %d %v; want 204 allowing PATCH from it", status, h)
	}
	_, h, _ = send(t, "GET", s.URL+"/posts", map[string]string{"Origin": "https://app.example"}, "")
	if h.Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "Link") {
		t.Errorf("GET from an allowed origin: headers %v; want it allowed, with Link exposed", h)
	}
	_, h, _ = send(t, "GET", s.URL+"/posts", map[string]string{"Origin": "https://evil.example"}, "")
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET from another origin: Access-Control-Allow-Origin %q; want none", h.Get("Access-Control-Allow-Origin"))
	}
}
