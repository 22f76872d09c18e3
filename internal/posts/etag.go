package posts

import (
	"strconv"
	"strings"
)

// A post's ETag is its version, quoted: "3". The version grows with every
// change, so equal ETags mean an unchanged post.
func etag(version int64) string {
	return `"` + strconv.FormatInt(version, 10) + `"`
}

// ifMatch parses an If-Match header (RFC 9110 §13.1.1). check is false for
// no header and for "*" (any version will do); versions are the strong
// entity tags this service could have issued.
// Weak tags never match under If-Match's strong comparison, and a header
// naming no version of ours matches nothing.
func ifMatch(header *string) (check bool, versions []int64) {
	if header == nil {
		return false, nil
	}
	if strings.TrimSpace(*header) == "*" {
		return false, nil
	}
	versions = []int64{}
	for _, tag := range strings.Split(*header, ",") {
		tag = strings.TrimSpace(tag)
		if v, ok := parseETag(tag); ok {
			versions = append(versions, v)
		}
	}
	return true, versions
}

// noneMatch tells whether an If-None-Match header (RFC 9110 §13.1.2)
// names the current version, with weak comparison: W/"3" matches "3".
func noneMatch(header *string, version int64) bool {
	if header == nil {
		return false
	}
	if strings.TrimSpace(*header) == "*" {
		return true
	}
	for _, tag := range strings.Split(*header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if v, ok := parseETag(tag); ok && v == version {
			return true
		}
	}
	return false
}

func parseETag(tag string) (int64, bool) {
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	v, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64)
	return v, err == nil && v > 0
}
