package posts

import (
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/posts-api/posts/gen/db"
)

// The hot responses (a page, a post) are written by hand-rolled appenders:
// encoding/json's reflection and its MarshalJSON round trips cost more than
// the database query. They write exactly what encoding/json's Encoder
// writes for the same structs (TestPostJSONMatchesTheModel,
// FuzzAppendString), field order, HTML escaping and trailing newline included.

// appendPage writes api.PostPage{Items: rows, NextCursor: nextCursor}.
func appendPage(dst []byte, rows []*db.Post, nextCursor *string) []byte {
	dst = append(dst, `{"items":[`...)
	for i, row := range rows {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendPostObject(dst, toJSON(row))
	}
	dst = append(dst, `],"nextCursor":`...)
	if nextCursor == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendString(dst, *nextCursor)
	}
	return append(dst, "}\n"...)
}

func appendPost(dst []byte, p postJSON) []byte {
	return append(appendPostObject(dst, p), '\n')
}

func appendPostObject(dst []byte, p postJSON) []byte {
	dst = append(dst, `{"authorEmail":`...)
	dst = appendString(dst, p.AuthorEmail)
	dst = append(dst, `,"content":`...)
	if p.Content == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendString(dst, *p.Content)
	}
	dst = append(dst, `,"createdAt":`...)
	dst = appendTime(dst, p.CreatedAt)
	dst = append(dst, `,"id":`...)
	dst = appendUUID(dst, p.ID)
	dst = append(dst, `,"title":`...)
	dst = appendString(dst, p.Title)
	dst = append(dst, `,"updatedAt":`...)
	dst = appendTime(dst, p.UpdatedAt)
	return append(dst, '}')
}

// appendTime writes t as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds when there are any). Database times are always in its range.
func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendUUID writes id as uuid.UUID.MarshalText does, quoted: 8-4-4-4-12
// lower-case hex digits.
func appendUUID(dst []byte, id uuid.UUID) []byte {
	dst = append(dst, '"')
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[b>>4], hexDigits[b&0xF])
	}
	return append(dst, '"')
}

// plainJSON tells the bytes that a JSON string holds as they are, HTML
// escaping on: ASCII but for control characters, quote, backslash, <, > and
// &. One look-up per byte instead of six comparisons: the content of a page
// is most of what it writes (encoding/json does the same).
var plainJSON = func() (plain [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		plain[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return plain
}()

// appendString writes s as a JSON string the way encoding/json does with
// HTML escaping on: <, > and & as \u00XX, invalid UTF-8 as \ufffd, and
// U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if plainJSON[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
