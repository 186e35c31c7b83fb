package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// A lean gateway is the least a gateway that formats the rows does: one
// goroutine receives the result with the generated gRPC client (every
// message decoded, as Pixie's own Go client does), formats each row with
// the standard library (strconv, time) into the formats' row shapes, and
// writes flushSize pieces. No limits, checks, verdicts, metrics or
// envelope beyond the rows. It is a child process (this program,
// leanEnv set) configured by pxgate's own variables, so that it is
// measured exactly like a pxgate binary: what it takes on a machine says
// how close to the bare loop any straightforward gateway gets there.
const leanEnv = "PXGATE_WIRE_LEAN"

// leanBinaries are the lean gateway as -bins: this program with leanEnv.
// "lean" formats every row; "copy" formats a table's first row and then
// copies its text for every row: a gateway whose formatting cost nothing,
// which still receives, decodes and writes all, the least any gateway
// sending these bytes takes on a machine.
func leanBinaries() []binary {
	self, err := os.Executable()
	must(err)
	return []binary{
		{name: "lean", path: self, env: []string{leanEnv + "=format"}},
		{name: "copy", path: self, env: []string{leanEnv + "=copy"}},
	}
}

// serveLean is a lean gateway child.
func serveLean() {
	conn, err := grpc.NewClient(os.Getenv("PIXIE_DIRECT_ADDR"), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	must(err)
	client := vizierpb.NewVizierServiceClient(conn)
	log.Fatal(http.ListenAndServe(os.Getenv("PXGATE_LISTEN_ADDR"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			return
		}
		out := leanWriter{w: w, format: r.URL.Query().Get("format"), copy: os.Getenv(leanEnv) == "copy"}
		if err := leanRun(r.Context(), client, &out); err != nil {
			log.Printf("lean gateway: %v", err)
		}
	})))
}

// leanRun runs the script and writes its rows to out.
func leanRun(ctx context.Context, client vizierpb.VizierServiceClient, out *leanWriter) error {
	stream, err := client.ExecuteScript(ctx, &vizierpb.ExecuteScriptRequest{QueryStr: script})
	if err != nil {
		return err
	}
	names := map[string][][]byte{} // table ID: each column's name as row text ("name": or nothing)
	tables := map[string]string{}  // table ID: name
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return out.finish()
		}
		if err != nil {
			return err
		}
		if s := resp.GetStatus(); s.GetCode() != 0 {
			return fmt.Errorf("vizier: %s", s.GetMessage())
		}
		if md := resp.GetMetaData(); md != nil {
			tables[md.GetId()] = md.GetName()
			names[md.GetId()] = out.header(md.GetRelation().GetColumns())
			continue
		}
		if b := resp.GetData().GetBatch(); b != nil {
			if err := out.batch(tables[b.GetTableId()], names[b.GetTableId()], b); err != nil {
				return err
			}
		}
	}
}

// leanWriter formats rows and writes them in flushSize pieces.
type leanWriter struct {
	w      io.Writer
	format string
	buf    []byte
	rows   int // rows written, for JSON's separators
	copy   bool
	row    []byte // with copy, the text of the first row, without JSON's separator
}

// header writes what a table's columns start (CSV's header line) and
// returns each column's prefix in a row.
func (l *leanWriter) header(cols []*vizierpb.Relation_ColumnInfo) [][]byte {
	prefixes := make([][]byte, len(cols))
	for i, c := range cols {
		switch l.format {
		case "csv":
			if i > 0 {
				l.buf = append(l.buf, ',')
			}
			l.buf = append(l.buf, c.GetColumnName()...)
		default:
			sep := ","
			if i == 0 {
				sep = ""
			}
			prefixes[i] = strconv.AppendQuote([]byte(sep), c.GetColumnName())
			prefixes[i] = append(prefixes[i], ':')
		}
	}
	if l.format == "csv" {
		l.buf = append(l.buf, '\n')
	} else if l.format == "json" {
		l.buf = append(l.buf, `{"tables":[{"name":"output","rows":[`...)
	}
	return prefixes
}

// batch writes one batch's rows.
func (l *leanWriter) batch(table string, prefixes [][]byte, b *vizierpb.RowBatchData) error {
	for i := range int(b.GetNumRows()) {
		switch l.format {
		case "ndjson":
			l.buf = append(l.buf, `{"table":`...)
			l.buf = strconv.AppendQuote(l.buf, table)
			l.buf = append(l.buf, `,"row":{`...)
		case "json":
			if l.rows > 0 {
				l.buf = append(l.buf, ',')
			}
			l.buf = append(l.buf, '{')
		}
		if l.copy && l.row != nil {
			l.buf = append(l.buf, l.row...)
		} else {
			start := len(l.buf)
			for c, col := range b.GetCols() {
				if l.format == "csv" && c > 0 {
					l.buf = append(l.buf, ',')
				}
				l.buf = append(l.buf, prefixes[c]...)
				l.buf = leanValue(l.buf, col, i, l.format != "csv")
			}
			if l.copy {
				l.row = append([]byte(nil), l.buf[start:]...)
			}
		}
		switch l.format {
		case "ndjson":
			l.buf = append(l.buf, "}}\n"...)
		case "json":
			l.buf = append(l.buf, '}')
		default:
			l.buf = append(l.buf, '\n')
		}
		l.rows++
		if len(l.buf) >= flushSize {
			if _, err := l.w.Write(l.buf); err != nil {
				return err
			}
			l.buf = l.buf[:0]
		}
	}
	return nil
}

// finish writes what is left.
func (l *leanWriter) finish() error {
	if l.format == "json" {
		l.buf = append(l.buf, "]}]}\n"...)
	}
	_, err := l.w.Write(l.buf)
	return err
}

// leanValue appends row i of col; quoted says whether text is quoted.
func leanValue(b []byte, col *vizierpb.Column, i int, quoted bool) []byte {
	switch d := col.GetColData().(type) {
	case *vizierpb.Column_Int64Data:
		return strconv.AppendInt(b, d.Int64Data.GetData()[i], 10)
	case *vizierpb.Column_Float64Data:
		return strconv.AppendFloat(b, d.Float64Data.GetData()[i], 'g', -1, 64)
	case *vizierpb.Column_Time64NsData:
		if quoted {
			b = append(b, '"')
		}
		b = time.Unix(0, d.Time64NsData.GetData()[i]).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000000Z07:00")
		if quoted {
			b = append(b, '"')
		}
		return b
	case *vizierpb.Column_BooleanData:
		return strconv.AppendBool(b, d.BooleanData.GetData()[i])
	case *vizierpb.Column_StringData:
		return strconv.AppendQuote(b, string(d.StringData.GetData()[i]))
	case *vizierpb.Column_Uint128Data:
		v := d.Uint128Data.GetData()[i]
		return strconv.AppendUint(strconv.AppendUint(b, v.GetHigh(), 16), v.GetLow(), 16)
	}
	return b
}
