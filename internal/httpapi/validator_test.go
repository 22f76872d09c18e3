package httpapi

import "testing"

func TestDecodeJSONSaysWhatIsWrong(t *testing.T) {
	for _, tc := range []struct{ body, wantErr string }{
		{`{"title": "a"}`, ""},
		{`  [1, 2] `, ""},
		{`{"title": "a"} {"title": "b"}`, "The body is not valid JSON: it holds more than one value."},
		{`{"title": "a"}}`, "The body is not valid JSON: it holds more than one value."},
		{`{"title": "a"`, "The body is not valid JSON: unexpected end of input."},
		{`{"title": "a",`, "The body is not valid JSON: unexpected end of input."},
		{`{"title" "a"}`, "The body is not valid JSON: syntax error at byte 10."},
		{`{'title': 'a'}`, "The body is not valid JSON: syntax error at byte 2."},
	} {
		_, err := decodeJSON([]byte(tc.body))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.wantErr {
			t.Errorf("decodeJSON(%s): error %q; want %q", tc.body, got, tc.wantErr)
		}
	}
}
