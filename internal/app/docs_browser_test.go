package app_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's Chromium; CI installs it, elsewhere the test is
// skipped without it.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	return path
}

// Swagger UI at /docs, in a real browser: every operation is there, the
// page asks nothing of any other host, and "Try it out" → "Execute" on
// GET /posts shows a 200.
func TestSwaggerUIInABrowser(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	mustCreate(t, s.Client, newPost("Seen from the browser", "ada@example.com", nil))

	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	var mu sync.Mutex
	var requested []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, e.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}

	card := `#operations-posts-listPosts`
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/docs"),
		chromedp.WaitVisible(chromedp.CSS(card)),
	)
	if err != nil {
		t.Fatalf("open /docs: %v", err)
	}
	operations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.opblock')].map(op =>
		op.querySelector('.opblock-summary-method').textContent + ' ' +
		op.querySelector('[data-path]').getAttribute('data-path'))`))
	if err != nil {
		t.Fatalf("read the operations: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(card+` .opblock-summary-control`)),
		chromedp.Click(chromedp.CSS(card+` .try-out__btn`)),
		chromedp.Click(chromedp.CSS(card+` .execute`)),
		chromedp.WaitVisible(chromedp.CSS(card+` .live-responses-table tbody .response-col_status`)),
	)
	if err != nil {
		t.Fatalf("Try it out → Execute on GET /posts: %v", err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(card+` .live-responses-table tbody .response-col_status`)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(card+` .live-responses-table tbody .response-col_description`)))
	if err != nil {
		t.Fatal(err)
	}

	want := []string{"GET /posts", "POST /posts", "POST /post", "GET /posts/{postId}", "PATCH /posts/{postId}", "DELETE /posts/{postId}", "GET /healthz", "GET /readyz"}
	slices.Sort(want)
	slices.Sort(operations)
	if !slices.Equal(operations, want) {
		t.Errorf("operations shown: %v; want %v", operations, want)
	}
	if strings.TrimSpace(status) != "200" || !strings.Contains(body, "Seen from the browser") {
		t.Errorf("Try it out → Execute on GET /posts: status %q, body %.200q; want 200 with the post", status, body)
	}
	server, _ := url.Parse(s.URL)
	mu.Lock()
	defer mu.Unlock()
	for _, r := range requested {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && u.Host != server.Host) {
			t.Errorf("the page requested %s; want only the server (%s)", r, server.Host)
		}
	}
	if len(requested) < 3 {
		t.Errorf("the page made %d requests; want the page, its assets and the spec: %v", len(requested), requested)
	}
}
