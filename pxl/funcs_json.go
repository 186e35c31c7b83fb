package pxl

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// jsonFuncs are px.pluck, pluck_float64, pluck_int64 (a key's value in a
// JSON object) and pluck_array (an element of a JSON array).
var jsonFuncs = []*scalarFunc{
	typed("pluck", sig(String, String), String, STNone, func(_ *evalCtx, v []value, n int) value {
		return strsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, pluckString))
	}),
	typed("pluck_float64", sig(String, String), Float64, STNone, func(_ *evalCtx, v []value, n int) value {
		return floatsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, pluckFloat))
	}),
	typed("pluck_int64", sig(String, String), Int64, STNone, func(_ *evalCtx, v []value, n int) value {
		return intsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, pluckInt))
	}),
	typed("pluck_array", sig(String, Int64), String, STNone, func(_ *evalCtx, v []value, n int) value {
		return strsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Ints, v[1].scalar, n, pluckArray))
	}),
}

// pluckString is the value of key k in the JSON object s: a string's
// text, another value's JSON, "" when there is none.
func pluckString(s, k string) string {
	raw, ok := jsonLookup(s, k)
	if !ok {
		return ""
	}
	if strings.HasPrefix(raw, `"`) {
		var str string
		if json.Unmarshal([]byte(raw), &str) == nil {
			return str
		}
	}
	return raw
}

// pluckFloat is the number at key k in the JSON object s, 0 when there is
// none.
func pluckFloat(s, k string) float64 {
	raw, ok := jsonLookup(s, k)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0
	}
	return f
}

// pluckInt is the integer at key k in the JSON object s (a float is
// truncated), 0 when there is none.
func pluckInt(s, k string) int64 {
	raw, ok := jsonLookup(s, k)
	if !ok {
		return 0
	}
	if i, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return i
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0
	}
	return int64(f)
}

// pluckArray is element i of the JSON array s: a string's text, another
// value's JSON, "" when there is none.
func pluckArray(s string, i int64) string {
	var arr []json.RawMessage
	if json.Unmarshal([]byte(s), &arr) != nil || i < 0 || i >= int64(len(arr)) {
		return ""
	}
	var str string
	if json.Unmarshal(arr[i], &str) == nil {
		return str
	}
	return string(arr[i])
}

var errJSON = errors.New("bad json")

// jsonLookup returns the raw text of the value of key in a JSON object
// (top level only).
func jsonLookup(s, key string) (string, bool) {
	i := skipWS(s, 0)
	if i >= len(s) || s[i] != '{' {
		return "", false
	}
	i++
	for {
		i = skipWS(s, i)
		if i >= len(s) || s[i] == '}' {
			return "", false
		}
		kEnd, err := skipValue(s, i)
		if err != nil || s[i] != '"' {
			return "", false
		}
		k := s[i+1 : kEnd-1]
		if strings.IndexByte(k, '\\') >= 0 {
			var dec string
			if json.Unmarshal([]byte(s[i:kEnd]), &dec) != nil {
				return "", false
			}
			k = dec
		}
		i = skipWS(s, kEnd)
		if i >= len(s) || s[i] != ':' {
			return "", false
		}
		i = skipWS(s, i+1)
		vEnd, err := skipValue(s, i)
		if err != nil {
			return "", false
		}
		if k == key {
			return s[i:vEnd], true
		}
		i = skipWS(s, vEnd)
		if i < len(s) && s[i] == ',' {
			i++
		}
	}
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i.
func skipValue(s string, i int) (int, error) {
	if i >= len(s) {
		return 0, errJSON
	}
	switch s[i] {
	case '"':
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, errJSON
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				e, err := skipValue(s, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errJSON
	}
	j := i
	for j < len(s) && s[j] != ',' && s[j] != '}' && s[j] != ']' && s[j] != ' ' && s[j] != '\n' && s[j] != '\t' && s[j] != '\r' {
		j++
	}
	if j == i {
		return 0, errJSON
	}
	return j, nil
}
