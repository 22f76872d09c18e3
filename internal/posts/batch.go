package posts

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/posts-api/posts/gen/db"
)

// createBatcher inserts the posts of concurrent create requests together:
// a create that arrives while maxRunning batches are already being inserted
// waits for the next batch, and a batch of many is one statement and one
// commit. Under load that takes most of the per-statement and per-commit
// work off PostgreSQL and most round trips off the pool; a create that
// finds a free slot is inserted at once, so nothing ever waits for company.
// Every request still gets its own answer only after its row has committed.
type createBatcher struct {
	queries    *db.Queries
	maxRunning int // batches being inserted at once, each on its own connection
	maxSize    int // posts per statement

	mu      sync.Mutex
	waiting []*pendingCreate // oldest first
	running int
}

// The states of a pendingCreate: a batch takes it, or its request gives up
// waiting first; never both.
const (
	createWaiting int32 = iota
	createTaken
	createAbandoned
)

type pendingCreate struct {
	ctx    context.Context
	params db.CreatePostParams
	state  atomic.Int32
	done   chan struct{} // closed when row and err are set

	row *db.Post
	err error
}

// errInsertAlone tells a request that its batch was refused as a whole (a
// row broke a constraint other than the title's): nothing of it was
// written, and the request inserts its post alone to get its own answer.
var errInsertAlone = errors.New("the batch was refused; insert alone")

func newCreateBatcher(queries *db.Queries, maxRunning, maxSize int) *createBatcher {
	return &createBatcher{queries: queries, maxRunning: maxRunning, maxSize: maxSize}
}

// create inserts a post and returns its row, or an Error.
func (b *createBatcher) create(ctx context.Context, params db.CreatePostParams) (*db.Post, error) {
	p := &pendingCreate{ctx: ctx, params: params, done: make(chan struct{})}
	b.mu.Lock()
	b.waiting = append(b.waiting, p)
	lead := b.running < b.maxRunning
	if lead {
		b.running++
	}
	b.mu.Unlock()

	if lead {
		b.lead(p)
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		if p.state.CompareAndSwap(createWaiting, createAbandoned) {
			return nil, fromDatabase(ctx.Err(), "wait to create post")
		}
		<-p.done // its batch has it, and ends by this request's deadline
	}
	if p.err == errInsertAlone {
		row, err := b.queries.CreatePost(ctx, params)
		return row, fromDatabase(err, "create post")
	}
	return p.row, p.err
}

// lead inserts batches on the calling request's goroutine until own's is
// done, then hands the slot on to a goroutine if others are still waiting.
func (b *createBatcher) lead(own *pendingCreate) {
	for {
		batch := b.take()
		if batch == nil {
			return
		}
		b.insert(batch)
		select {
		case <-own.done:
			b.handOn()
			return
		default:
		}
	}
}

// handOn passes the caller's slot to a new goroutine if creates are
// waiting, and frees it otherwise; in one step, so that a create arriving
// meanwhile finds either a free slot or a runner to take it.
func (b *createBatcher) handOn() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) == 0 {
		b.running--
		return
	}
	go b.drain()
}

// drain inserts batches until none is waiting.
func (b *createBatcher) drain() {
	for batch := b.take(); batch != nil; batch = b.take() {
		b.insert(batch)
	}
}

// take removes the oldest waiting creates, up to maxSize, and returns those
// still wanted; nil, releasing the caller's slot, when none is waiting.
func (b *createBatcher) take() []*pendingCreate {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.waiting) > 0 {
		n := min(len(b.waiting), b.maxSize)
		batch := make([]*pendingCreate, 0, n)
		for _, p := range b.waiting[:n] {
			if p.state.CompareAndSwap(createWaiting, createTaken) {
				batch = append(batch, p)
			}
		}
		rest := copy(b.waiting, b.waiting[n:])
		clear(b.waiting[rest:])
		b.waiting = b.waiting[:rest]
		if len(batch) > 0 {
			return batch
		}
	}
	b.running--
	return nil
}

// insert inserts one batch and answers each of its requests.
func (b *createBatcher) insert(batch []*pendingCreate) {
	defer func() {
		// A panic here would leave the batch's requests waiting for ever, or,
		// off a request's goroutine, stop the server: it fails them instead.
		if r := recover(); r != nil {
			err := unexpected(fmt.Errorf("create posts: panic: %v\n%s", r, debug.Stack()))
			for _, p := range batch {
				p.finish(nil, err)
			}
		}
	}()
	live := batch[:0]
	for _, p := range batch {
		if err := p.ctx.Err(); err != nil { // its request gave up while it waited
			p.finish(nil, fromDatabase(err, "wait to create post"))
			continue
		}
		live = append(live, p)
	}
	batch = live
	switch len(batch) {
	case 0:
		return
	case 1: // one statement as without batching, under its request's own deadline
		p := batch[0]
		row, err := b.queries.CreatePost(p.ctx, p.params)
		p.finish(row, fromDatabase(err, "create post"))
		return
	}
	// Title order: two batches that share titles then take the titles'
	// index locks in the same order, and cannot deadlock each other.
	slices.SortStableFunc(batch, func(a, b *pendingCreate) int { return strings.Compare(a.params.Title, b.params.Title) })
	ctx, cancel := batchContext(batch)
	defer cancel()
	rows, err := b.queries.CreatePosts(ctx, batchParams(batch))
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && !isUnavailable(err) {
			err = errInsertAlone // refused as a whole: nothing was written
		} else {
			err = fromDatabase(err, "create posts")
		}
		for _, p := range batch {
			p.finish(nil, err)
		}
		return
	}
	for _, row := range rows {
		for _, p := range batch {
			if p.params.ID == row.ID {
				p.finish(row, nil)
				break
			}
		}
	}
	for _, p := range batch { // skipped: its title was taken
		p.finish(nil, errDuplicateTitle)
	}
}

// finish answers p's request once; later calls do nothing.
func (p *pendingCreate) finish(row *db.Post, err error) {
	select {
	case <-p.done:
	default:
		p.row, p.err = row, err
		close(p.done)
	}
}

// batchContext is not cancelled when one request of the batch goes away,
// since the others still want their posts, and ends at the earliest of
// their deadlines, which no request then waits past.
func batchContext(batch []*pendingCreate) (context.Context, context.CancelFunc) {
	var earliest time.Time
	for _, p := range batch {
		if d, ok := p.ctx.Deadline(); ok && (earliest.IsZero() || d.Before(earliest)) {
			earliest = d
		}
	}
	ctx := context.WithoutCancel(batch[0].ctx)
	if earliest.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, earliest)
}

func batchParams(batch []*pendingCreate) db.CreatePostsParams {
	params := db.CreatePostsParams{
		Ids:          make([]pgtype.UUID, len(batch)),
		Titles:       make([]string, len(batch)),
		Contents:     make([]string, len(batch)),
		HasContent:   make([]bool, len(batch)),
		AuthorEmails: make([]string, len(batch)),
	}
	for i, p := range batch {
		params.Ids[i] = p.params.ID
		params.Titles[i] = p.params.Title
		if p.params.Content != nil {
			params.Contents[i], params.HasContent[i] = *p.params.Content, true
		}
		params.AuthorEmails[i] = p.params.AuthorEmail
	}
	return params
}
