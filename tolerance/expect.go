package tolerance

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseExpect parses the compact form of a check, k6-threshold style:
//
//	AGG(column) OP NUMBER[UNIT]
//	AGG(column) in [NUMBER[UNIT], NUMBER[UNIT]]
//
//	AGG(column) OP [FACTORx] baseline [+|- NUMBER[UNIT]]
//	AGG(column) within NUMBER% of baseline
//
// AGG is p50, p90, p95, p99, p(N) (as in p(99.9)(latency)), percentile(column, N),
// mean (or avg), median, min, max, sum, count, first, last, or a row-wise
// all, any, none; count takes no column to count rows: count() > 0. OP is
// < (below), <= (at_most), > (above), >= (at_least) or == (equals); "in" is
// between, inclusive. UNIT is one of ns, us (µs), ms, s, m: the column holds
// nanoseconds and is converted to UNIT before comparing. Whitespace between
// tokens is ignored. The baseline forms (such as "p99(latency) < 1.5x
// baseline", "mean(error_rate) <= baseline + 0.02") set Spec.Baseline: the
// threshold comes from the same aggregate over a baseline window.
//
// The returned Spec is structured (Expect is empty), is valid for Compile, and
// has Name set to the trimmed expression. Errors quote the expression and give
// the 0-based byte offset of the problem and what was expected there:
//
//	expect "p99(latency_p99) < 300xs": unknown unit "xs" at offset 22 (want ns, us, ms, s, m)
func ParseExpect(s string) (Spec, error) {
	p := &parser{s: s}
	sp, err := p.parse()
	if err == nil {
		_, err = compileStructured(sp)
	}
	if err != nil {
		return Spec{}, fmt.Errorf("expect %q: %w", s, err)
	}
	return sp, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) skipSpace() {
	for p.pos < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// peek returns the next token's text for messages, after skipping space.
func (p *parser) peek() string {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return ""
	}
	rest := p.s[p.pos:]
	r, n := utf8.DecodeRuneInString(rest)
	if isIdentRune(r, true) || unicode.IsDigit(r) {
		for n < len(rest) {
			r2, m := utf8.DecodeRuneInString(rest[n:])
			if !isIdentRune(r2, false) {
				break
			}
			n += m
		}
	}
	return rest[:n]
}

// unexpected reports the next token (or the end) and what the grammar wanted there.
func (p *parser) unexpected(want string) error {
	tok := p.peek()
	if tok == "" {
		return fmt.Errorf("unexpected end at offset %d (want %s)", p.pos, want)
	}
	return fmt.Errorf("unexpected %q at offset %d (want %s)", tok, p.pos, want)
}

func isIdentRune(r rune, first bool) bool {
	if r == '_' || unicode.IsLetter(r) {
		return true
	}
	return !first && (unicode.IsDigit(r) || r == '.')
}

// ident reads a name (aggregate or column) at the current position, or "".
func (p *parser) ident() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if !isIdentRune(r, p.pos == start) {
			break
		}
		p.pos += n
	}
	return p.s[start:p.pos]
}

// punct consumes tok if it comes next.
func (p *parser) punct(tok string) bool {
	p.skipSpace()
	if strings.HasPrefix(p.s[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *parser) expect(tok string) error {
	if !p.punct(tok) {
		return p.unexpected(strconv.Quote(tok))
	}
	return nil
}

// number reads a decimal number such as 300, -1.5, .5 or 1e6.
func (p *parser) number() (float64, error) {
	p.skipSpace()
	start, i := p.pos, p.pos
	s := p.s
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return 0, p.unexpected("a number")
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.pos = j
			return 0, fmt.Errorf("malformed exponent in %q at offset %d (want digits after e)", s[start:i], j)
		}
	}
	v, err := strconv.ParseFloat(s[start:i], 64)
	if err != nil {
		return 0, fmt.Errorf("number %q at offset %d is out of range", s[start:i], start)
	}
	p.pos = i
	return v, nil
}

// unit reads an optional unit after a number.
func (p *parser) unit() (string, error) {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if !unicode.IsLetter(r) {
			break
		}
		p.pos += n
	}
	u := p.s[start:p.pos]
	if u == "" {
		return "", nil
	}
	if _, ok := units[u]; !ok {
		p.pos = start
		return "", fmt.Errorf("unknown unit %q at offset %d (want %s)", u, start, unitList)
	}
	return canonicalUnit(u), nil
}

// quantity reads NUMBER[UNIT] and reconciles UNIT with the unit seen so far.
func (p *parser) quantity(unit *string) (float64, error) {
	v, err := p.number()
	if err != nil {
		return 0, err
	}
	p.skipSpace()
	off := p.pos
	u, err := p.unit()
	if err != nil {
		return 0, err
	}
	if u != "" {
		if *unit != "" && *unit != u {
			return 0, fmt.Errorf("unit %q at offset %d differs from %q (want one unit for both bounds)", u, off, *unit)
		}
		*unit = u
	}
	return v, nil
}

const expectAggs = "p50, p90, p95, p99, p(N), percentile, mean, avg, median, min, max, sum, count, first, last, all, any, none"

func (p *parser) parse() (Spec, error) {
	sp := Spec{Name: strings.TrimSpace(p.s)}
	p.skipSpace()
	if p.pos == len(p.s) {
		return sp, fmt.Errorf(`empty expression (want e.g. "p99(latency_p99) < 300ms")`)
	}

	// The left-hand side: AGG(column).
	aggOff := p.pos
	name := p.ident()
	lower := strings.ToLower(name)
	switch {
	case name == "":
		return sp, p.unexpected("an aggregate: " + expectAggs)
	case lower == "p":
		if err := p.expect("("); err != nil {
			return sp, err
		}
		v, err := p.percentile()
		if err != nil {
			return sp, err
		}
		if err := p.expect(")"); err != nil {
			return sp, err
		}
		sp.Aggregate, sp.Percentile = "percentile", &v
	case lower == "all" || lower == "any" || lower == "none":
		sp.Rows = lower
	default:
		if _, ok := aggregates[lower]; !ok {
			return sp, fmt.Errorf("unknown aggregate %q at offset %d (want %s)", name, aggOff, expectAggs)
		}
		sp.Aggregate = lower
		if lower == "avg" {
			sp.Aggregate = "mean"
		}
	}
	if err := p.expect("("); err != nil {
		return sp, err
	}
	colOff := p.pos
	sp.Column = p.ident()
	if sp.Column == "" && sp.Aggregate != "count" {
		p.pos = colOff
		return sp, p.unexpected("a column name")
	}
	if lower == "percentile" {
		if err := p.expect(","); err != nil {
			return sp, err
		}
		v, err := p.percentile()
		if err != nil {
			return sp, err
		}
		sp.Percentile = &v
	}
	if err := p.expect(")"); err != nil {
		return sp, err
	}

	// The comparison.
	p.skipSpace()
	var v float64
	var err error
	if ok, err := p.baseline(&sp); ok || err != nil {
		return sp, err
	}
	switch {
	case p.punct("<="):
		v, err = p.quantity(&sp.Unit)
		sp.AtMost = &v
	case p.punct(">="):
		v, err = p.quantity(&sp.Unit)
		sp.AtLeast = &v
	case p.punct("=="):
		v, err = p.quantity(&sp.Unit)
		sp.Equals = &v
	case p.punct("<"):
		v, err = p.quantity(&sp.Unit)
		sp.Below = &v
	case p.punct(">"):
		v, err = p.quantity(&sp.Unit)
		sp.Above = &v
	case strings.EqualFold(p.peek(), "in"):
		p.ident()
		err = p.between(&sp)
	default:
		return sp, p.unexpected("a comparison: <, <=, >, >=, ==, in [lo, hi]")
	}
	if err != nil {
		return sp, err
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return sp, p.unexpected("end of expression")
	}
	return sp, nil
}

// between parses "[lo, hi]" after "in", with an optional unit after each
// bound or after the bracket.
func (p *parser) between(sp *Spec) error {
	if err := p.expect("["); err != nil {
		return err
	}
	lo, err := p.quantity(&sp.Unit)
	if err != nil {
		return err
	}
	if err := p.expect(","); err != nil {
		return err
	}
	hi, err := p.quantity(&sp.Unit)
	if err != nil {
		return err
	}
	if err := p.expect("]"); err != nil {
		return err
	}
	p.skipSpace()
	off := p.pos
	u, err := p.unit()
	if err != nil {
		return err
	}
	if u != "" && sp.Unit != "" && u != sp.Unit {
		return fmt.Errorf("unit %q at offset %d differs from %q (want one unit for both bounds)", u, off, sp.Unit)
	}
	if u != "" {
		sp.Unit = u
	}
	sp.Between = []float64{lo, hi}
	return nil
}

// percentile reads a percentile (0-100), as in p(99.9) or percentile(c, 95).
func (p *parser) percentile() (float64, error) {
	p.skipSpace()
	off := p.pos
	v, err := p.number()
	if err != nil {
		return 0, err
	}
	if !(v >= 0 && v <= 100) {
		return 0, fmt.Errorf("percentile %s at offset %d out of range (want 0-100)", formatExact(v), off)
	}
	return v, nil
}

// baseline parses a comparison with the baseline (after the aggregate):
// "OP baseline", "OP FACTORx baseline", "OP baseline +|- NUMBER[UNIT]",
// "within NUMBER% of baseline", to the end of the expression. ok=false
// with no error: the comparison is not one with the baseline, and nothing
// was consumed.
func (p *parser) baseline(sp *Spec) (ok bool, err error) {
	start := p.pos
	if strings.EqualFold(p.peek(), "within") {
		p.ident()
		v, err := p.number()
		if err != nil {
			return true, err
		}
		for _, tok := range []string{"%", "of", "baseline"} {
			if err := p.word(tok); err != nil {
				return true, err
			}
		}
		sp.Baseline = &BaselineSpec{WithinPercent: &v}
		return true, p.end()
	}
	var compare string
	for _, o := range []struct{ tok, name string }{{"<=", "at_most"}, {">=", "at_least"}, {"<", "below"}, {">", "above"}} {
		if p.punct(o.tok) {
			compare = o.name
			break
		}
	}
	if compare == "" {
		return false, nil
	}
	b := &BaselineSpec{Compare: compare}
	if !strings.EqualFold(p.peek(), "baseline") {
		v, err := p.number()
		if err != nil {
			p.pos = start // not a number: the absolute comparison's error
			return false, nil
		}
		if !p.times() {
			if strings.EqualFold(p.peek(), "baseline") { // "< 1.5 baseline": not "unknown unit"
				return true, p.unexpected(`"x" after the factor, as in 1.5x baseline`)
			}
			p.pos = start // not a factor: an absolute threshold
			return false, nil
		}
		b.Factor = &v
	}
	if err := p.word("baseline"); err != nil {
		return true, err
	}
	if b.Factor == nil {
		sign := 0.0
		switch {
		case p.punct("+"):
			sign = 1
		case p.punct("-"):
			sign = -1
		}
		v := 0.0
		if sign != 0 {
			if v, err = p.quantity(&sp.Unit); err != nil {
				return true, err
			}
		}
		v *= sign
		b.Plus = &v
	}
	sp.Baseline = b
	return true, p.end()
}

// word consumes tok (a word, case-insensitive, or punctuation).
func (p *parser) word(tok string) error {
	p.skipSpace()
	off := p.pos
	if tok == "%" {
		return p.expect("%")
	}
	if !strings.EqualFold(p.ident(), tok) {
		p.pos = off
		return p.unexpected(strconv.Quote(tok))
	}
	return nil
}

// end requires the end of the expression.
func (p *parser) end() error {
	p.skipSpace()
	if p.pos != len(p.s) {
		return p.unexpected("end of expression")
	}
	return nil
}

// times consumes the factor's "x" (or "×") when it stands alone, so that
// "300xs" stays an unknown unit.
func (p *parser) times() bool {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if !unicode.IsLetter(r) && r != '×' {
			break
		}
		p.pos += n
	}
	if w := p.s[start:p.pos]; w == "x" || w == "×" {
		return true
	}
	p.pos = start
	return false
}
