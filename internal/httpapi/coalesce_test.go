package httpapi

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
)

// countingListener counts the write calls made on its connections.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	return countingConn{c, l.writes}, err
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func TestLargeResponsesLeaveInOneWrite(t *testing.T) {
	e := echo.New()
	e.Use(withCoalescedWrites)
	e.GET("/body/:size", func(c echo.Context) error {
		size, _ := strconv.Atoi(c.Param("size"))
		c.Response().Header().Set("Content-Length", strconv.Itoa(size))
		c.Response().WriteHeader(http.StatusOK)
		_, err := c.Response().Write(bytes.Repeat([]byte("x"), size))
		return err
	})
	e.POST("/echo", func(c echo.Context) error {
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "text/plain", body)
	})

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var writes atomic.Int64
	server := &http.Server{Handler: e}
	go server.Serve(CoalesceWrites(server, countingListener{l, &writes}))
	defer server.Close()
	base := "http://" + l.Addr().String()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	for _, tc := range []struct {
		size       int
		wantWrites int64
	}{
		{100, 1},
		{3000, 1},
		{4000, 1},      // net/http alone: the 4 KiB buffer, then the rest when the response ends
		{9000, 1},      // net/http alone: the 4 KiB buffer, then the rest
		{40 << 10, 1},  // under maxHeld
		{200 << 10, 2}, // over maxHeld: what was held, then the rest
	} {
		writes.Store(0)
		resp, err := client.Get(base + "/body/" + strconv.Itoa(tc.size))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || len(body) != tc.size {
			t.Fatalf("GET %d bytes: got %d bytes, %v", tc.size, len(body), err)
		}
		if got := writes.Load(); got != tc.wantWrites {
			t.Errorf("GET %d bytes: %d writes on the connection; want %d", tc.size, got, tc.wantWrites)
		}
	}

	// A client that waits for "100 Continue" must get it while the
	// request is read, not held back.
	req, _ := http.NewRequest(http.MethodPost, base+"/echo", strings.NewReader(strings.Repeat("y", 10000)))
	req.Header.Set("Expect", "100-continue")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) != 10000 {
		t.Errorf("POST with Expect: 100-continue: got %d and %d bytes; want 200 and 10000", resp.StatusCode, len(body))
	}
}
