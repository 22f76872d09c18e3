package posts

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/posts-api/posts/gen/db"
	"github.com/posts-api/posts/internal/database/databasetest"
)

func TestMain(m *testing.M) { os.Exit(databasetest.Main(m)) }

// newBatcher returns a batcher on a fresh database, and the database.
func newBatcher(t *testing.T, maxRunning int) (*createBatcher, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), databasetest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return newCreateBatcher(db.New(pool), maxRunning, createBatchSize), pool
}

func newParams(t *testing.T, title string, content *string) db.CreatePostParams {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return db.CreatePostParams{ID: pgUUID(id), Title: title, Content: content, AuthorEmail: "ada@example.com"}
}

type createResult struct {
	row *db.Post
	err error
}

// createAsOneBatch makes the creates wait, in the order given, behind a
// batcher whose only slot is taken, then inserts them as one batch, as a
// loaded server does.
func createAsOneBatch(t *testing.T, b *createBatcher, ctx context.Context, params ...db.CreatePostParams) []createResult {
	t.Helper()
	occupy(b)
	results := make([]createResult, len(params))
	var wg sync.WaitGroup
	for i, p := range params {
		wg.Go(func() {
			results[i].row, results[i].err = b.create(ctx, p)
		})
		waitUntil(t, func() bool { return waiting(b) == i+1 })
	}
	b.drain() // as the busy slot would, once free
	wg.Wait()
	return results
}

// occupy takes every slot of b, so that creates wait until the test drains them.
func occupy(b *createBatcher) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = b.maxRunning
}

func waiting(b *createBatcher) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiting)
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
	}
}

func countRows(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM posts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func ptr(s string) *string { return &s }

func TestABatchAnswersEachCreateWithItsOwnPost(t *testing.T) {
	t.Parallel()
	b, pool := newBatcher(t, 1)
	ctx := context.Background()
	if _, err := b.create(ctx, newParams(t, "Taken", nil)); err != nil {
		t.Fatal(err)
	}

	params := []db.CreatePostParams{
		newParams(t, "With content", ptr("some text")),
		newParams(t, "Without content", nil),
		newParams(t, "Empty content", ptr("")),
		newParams(t, "Taken", nil),        // by a post already there
		newParams(t, "With content", nil), // by an earlier create of this batch
	}
	results := createAsOneBatch(t, b, ctx, params...)

	for i, want := range params[:3] {
		got := results[i]
		if got.err != nil {
			t.Errorf("create %q: %v; want its post", want.Title, got.err)
			continue
		}
		if got.row.ID != want.ID || got.row.Title != want.Title || !equalContent(got.row.Content, want.Content) {
			t.Errorf("create %q got post (%x, %q, %s); want (%x, %q, %s)", want.Title,
				got.row.ID.Bytes, got.row.Title, contentString(got.row.Content), want.ID.Bytes, want.Title, contentString(want.Content))
		}
	}
	for i, p := range params[3:] {
		if got := results[3+i]; ErrorCode(got.err) != Conflict {
			t.Errorf("create of the taken title %q: got (%v, %v); want a %s error", p.Title, got.row, got.err, Conflict)
		}
	}
	if got := countRows(t, pool); got != 4 {
		t.Errorf("posts in the table: %d; want 4 (1 before the batch, 3 of it)", got)
	}
}

func TestARefusedBatchInsertsEachCreateAlone(t *testing.T) {
	t.Parallel()
	b, pool := newBatcher(t, 1)
	// The API refuses such a title before it gets here; the table's CHECK
	// refuses it too, and with it the whole statement.
	tooLong := newParams(t, strings.Repeat("x", 201), nil)
	results := createAsOneBatch(t, b, context.Background(), newParams(t, "First", nil), tooLong, newParams(t, "Last", nil))

	for _, i := range []int{0, 2} {
		if results[i].err != nil {
			t.Errorf("create %d beside a refused one: %v; want its post", i, results[i].err)
		}
	}
	if results[1].err == nil {
		t.Error("create of a 201-character title: no error; want the table to refuse it")
	}
	if got := countRows(t, pool); got != 2 {
		t.Errorf("posts in the table: %d; want 2", got)
	}
}

func TestACreateThatTimesOutWaitingIsNotInserted(t *testing.T) {
	t.Parallel()
	b, pool := newBatcher(t, 1)
	occupy(b)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	errs := make(chan error)
	go func() {
		_, err := b.create(ctx, newParams(t, "Given up", nil))
		errs <- err
	}()
	if err := <-errs; ErrorCode(err) != Unavailable {
		t.Errorf("create whose deadline passed while it waited: %v; want a %s error", err, Unavailable)
	}
	b.drain()
	if got := countRows(t, pool); got != 0 {
		t.Errorf("posts in the table: %d; want 0", got)
	}

	// A batch that takes a create whose deadline has passed leaves it out.
	ended, endCreate := context.WithDeadline(context.Background(), time.Now())
	defer endCreate()
	late := &pendingCreate{ctx: ended, params: newParams(t, "Late", nil), done: make(chan struct{})}
	live1 := &pendingCreate{ctx: context.Background(), params: newParams(t, "Live 1", nil), done: make(chan struct{})}
	live2 := &pendingCreate{ctx: context.Background(), params: newParams(t, "Live 2", nil), done: make(chan struct{})}
	b.insert([]*pendingCreate{late, live1, live2})
	if ErrorCode(late.err) != Unavailable || live1.err != nil || live2.err != nil {
		t.Errorf("batch of a late and two live creates answered (%v, %v, %v); want (%s error, nil, nil)",
			late.err, live1.err, live2.err, Unavailable)
	}
	if got := countRows(t, pool); got != 2 {
		t.Errorf("posts in the table: %d; want 2", got)
	}
}

func TestABatchWithoutItsDatabaseAnswersEachCreateUnavailable(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1: every statement fails to connect.
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	b := newCreateBatcher(db.New(pool), 1, createBatchSize)
	results := createAsOneBatch(t, b, context.Background(), newParams(t, "One", nil), newParams(t, "Two", nil))
	for i, got := range results {
		if ErrorCode(got.err) != Unavailable {
			t.Errorf("create %d of a batch whose database is down: (%v, %v); want a %s error", i, got.row, got.err, Unavailable)
		}
	}
}

func TestAPanickingBatchAnswersEachCreate(t *testing.T) {
	t.Parallel()
	b := newCreateBatcher(db.New(nil), 1, createBatchSize) // no database: every statement panics
	results := createAsOneBatch(t, b, context.Background(), newParams(t, "One", nil), newParams(t, "Two", nil))
	for i, got := range results {
		if ErrorCode(got.err) != Internal {
			t.Errorf("create %d of a batch that panicked: (%v, %v); want a %s error", i, got.row, got.err, Internal)
		}
	}
	if _, err := b.create(context.Background(), newParams(t, "Three", nil)); ErrorCode(err) != Internal {
		t.Errorf("create after the panic: %v; want a %s error, not a wait for a slot the panic kept", err, Internal)
	}
}

func TestConcurrentCreatesAllLandAndFreeEverySlot(t *testing.T) {
	t.Parallel()
	b, pool := newBatcher(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a lost wake-up fails, not hangs
	defer cancel()
	const n = 300
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p := newParams(t, fmt.Sprintf("Post %d", i), nil)
			var row *db.Post
			row, errs[i] = b.create(ctx, p)
			if errs[i] == nil && (row.ID != p.ID || row.Title != p.Title) {
				errs[i] = fmt.Errorf("got post (%x, %q); want (%x, %q)", row.ID.Bytes, row.Title, p.ID.Bytes, p.Title)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("create %d: %v", i, err)
		}
	}
	if got := countRows(t, pool); got != n {
		t.Errorf("posts in the table: %d; want %d", got, n)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running != 0 || len(b.waiting) != 0 {
		t.Errorf("after every create returned: %d batches running, %d creates waiting; want 0 and 0", b.running, len(b.waiting))
	}
}

// Creates racing for the same titles, batched in any order: one create
// per title wins, every other one is told the title is taken, and no two
// batches deadlock (PostgreSQL would break a deadlock only after a second).
func TestConcurrentCreatesOfTheSameTitlesOneWinsEach(t *testing.T) {
	t.Parallel()
	b, pool := newBatcher(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const titles, perTitle = 20, 10
	errs := make([]error, titles*perTitle)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = b.create(ctx, newParams(t, fmt.Sprintf("Title %d", (i*7)%titles), nil))
		})
	}
	start := time.Now()
	wg.Wait()
	codes := map[Code]int{}
	for _, err := range errs {
		if err == nil {
			codes["created"]++
		} else {
			codes[ErrorCode(err)]++
		}
	}
	if codes["created"] != titles || codes[Conflict] != titles*(perTitle-1) || len(codes) != 2 {
		t.Errorf("%d creates of %d titles: %v; want %d created and %d %s", len(errs), titles, codes, titles, titles*(perTitle-1), Conflict)
	}
	if got := countRows(t, pool); got != titles {
		t.Errorf("posts in the table: %d; want %d", got, titles)
	}
	if elapsed := time.Since(start); elapsed > 900*time.Millisecond {
		t.Logf("took %v: were batches waiting out a deadlock?", elapsed)
	}
}

func equalContent(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func contentString(s *string) string {
	if s == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *s)
}
