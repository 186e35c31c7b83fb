package handlers

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pxgate/pxgate/api"
)

// Response formats of the run routes.
const (
	formatJSON   = "json"
	formatCSV    = "csv"
	formatNDJSON = "ndjson"
	// formatProm is /probe's (history only; not a choice of the run routes).
	formatProm = "prometheus"
)

// formatTypes maps the media types of Accept to formats.
var formatTypes = map[string]string{
	api.ContentTypeJSON:   formatJSON,
	api.ContentTypeCSV:    formatCSV,
	api.ContentTypeNDJSON: formatNDJSON,
}

// output is how a run answers: the format and, for CSV, the one table.
type output struct {
	format string
	// table is the table a CSV answer holds; empty: the only table, else
	// the one named output.
	table string
	// keepFormulas turns off the CSV escaping of text that a spreadsheet
	// would run as a formula (?csv_formulas=keep).
	keepFormulas bool
}

// streamed reports whether the answer is written as batches arrive.
func (o output) streamed() bool { return o.format != formatJSON }

// outputParams are the query parameters outputOf reads, the only ones a
// POST run takes.
var outputParams = []string{"format", "table", "csv_formulas"}

// outputOf reads the format of a run request: ?format= wins over Accept
// (whose best supported media type counts; anything else means JSON), and
// ?table= names the table to return, as a one-element tables list that
// the request's own tables must agree with. It adjusts req.Tables.
func outputOf(r *http.Request, q url.Values, req *api.RunRequest) (output, error) {
	for _, key := range outputParams {
		if n := len(q[key]); n > 1 {
			return output{}, fieldError(key, "%s is given %d times; give it once", key, n)
		}
	}
	out := output{format: acceptedFormat(r.Header.Values("Accept"))}
	if f := q.Get("format"); f != "" {
		if !slices.Contains([]string{formatJSON, formatCSV, formatNDJSON}, f) {
			return output{}, fieldError("format", "format %q is not one of json, csv, ndjson", f)
		}
		out.format = f
	}
	switch q.Get("csv_formulas") {
	case "", "escape":
	case "keep":
		out.keepFormulas = true
	default:
		return output{}, fieldError("csv_formulas", "csv_formulas %q is not one of escape, keep", q.Get("csv_formulas"))
	}
	if t := q.Get("table"); t != "" && !slices.Contains(req.Tables, t) {
		req.Tables = append(req.Tables, t)
	}
	if out.format == formatCSV {
		switch len(req.Tables) {
		case 0:
		case 1:
			out.table = req.Tables[0]
		default:
			return output{}, fieldError("table", "a CSV answer holds one table, and %d are asked for (%s); name one with table=", len(req.Tables), strings.Join(req.Tables, ", "))
		}
	}
	return out, nil
}

// acceptedFormat picks the format of the Accept header's most preferred
// supported media type (ties: the first listed); JSON when none is
// supported, so that */* and browsers get JSON.
func acceptedFormat(accept []string) string {
	best, bestQ := formatJSON, 0.0
	for _, header := range accept {
		for part := range strings.SplitSeq(header, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			f, ok := formatTypes[mt]
			if !ok {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil {
					continue
				}
			}
			if q > bestQ {
				best, bestQ = f, q
			}
		}
	}
	return best
}
