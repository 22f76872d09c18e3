package posts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"sync"
	"time"

	"github.com/google/uuid"
)

// A cursor is the position of the last post of a page: its created_at and
// id. It travels as base64url of
//
//	version (1 byte) | created_at, µs since the Unix epoch (8) | id (16) | HMAC-SHA256 prefix (8)
//
// so that a cursor which was cut, edited or made up is rejected instead of
// silently paging from somewhere else.
type cursorCodec struct {
	macs *sync.Pool // of hash.Hash: HMAC-SHA256 keyed once, not per page
}

const (
	cursorVersion = 1
	cursorMACSize = 8
	cursorSize    = 1 + 8 + 16 + cursorMACSize
)

var errBadCursor = Errorf(Invalid, "The cursor is not valid: pass the nextCursor of a previous page unchanged.")

func newCursorCodec(secret string) cursorCodec {
	key := []byte(secret)
	return cursorCodec{macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

type position struct {
	createdAt time.Time
	id        uuid.UUID
}

func (c cursorCodec) encode(p position) string {
	var buf [cursorSize]byte
	buf[0] = cursorVersion
	binary.BigEndian.PutUint64(buf[1:9], uint64(p.createdAt.UnixMicro()))
	copy(buf[9:25], p.id[:])
	var mac [sha256.Size]byte
	copy(buf[25:], c.mac(mac[:0], buf[:25]))
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

func (c cursorCodec) decode(s string) (position, error) {
	if base64.RawURLEncoding.DecodedLen(len(s)) != cursorSize {
		return position{}, errBadCursor
	}
	var buf [cursorSize]byte
	n, err := base64.RawURLEncoding.Strict().Decode(buf[:], []byte(s))
	var mac [sha256.Size]byte
	if err != nil || n != cursorSize || buf[0] != cursorVersion || !hmac.Equal(buf[25:], c.mac(mac[:0], buf[:25])) {
		return position{}, errBadCursor
	}
	id, err := uuid.FromBytes(buf[9:25])
	if err != nil {
		return position{}, errors.Join(errBadCursor, err)
	}
	return position{createdAt: time.UnixMicro(int64(binary.BigEndian.Uint64(buf[1:9]))).UTC(), id: id}, nil
}

// mac appends the cursor's MAC of payload to dst.
func (c cursorCodec) mac(dst, payload []byte) []byte {
	h := c.macs.Get().(hash.Hash)
	defer c.macs.Put(h)
	h.Reset()
	h.Write(payload)
	return h.Sum(dst)[:len(dst)+cursorMACSize]
}

// CursorAfter returns the cursor of the page that follows the post at
// (createdAt, id), as the server would write it with secret. For tools
// (benchmarks) that need a deep page without walking to it.
func CursorAfter(secret string, createdAt time.Time, id uuid.UUID) string {
	return newCursorCodec(secret).encode(position{createdAt: createdAt, id: id})
}
