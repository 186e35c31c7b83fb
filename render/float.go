package render

// Shortest round-trip formatting of float64 values for answers.
//
// appendShortest writes what strconv.AppendFloat(b, f, 'f' or 'e', -1, 64)
// writes (with the answers' exponent rules, see appendFloat), byte for byte,
// in about half the time: encoding floats was about half of the CPU time
// of a large streamed answer, mostly strconv's generic formatting rather
// than its digit search. The digits are built eight at a time in a word
// and the text with 8-byte stores; the search and the layout avoid
// branches that depend on the value.
//
// The digits come from Raffaello Giulietti's Schubfach algorithm ("The
// Schubfach way to render doubles", 2020): for v = c*2^q, pick k so that
// the rounding interval of v (the reals that parse back to v) is between
// 1 and 10 units of 10^k wide; then the shortest decimal in that interval
// is either the one multiple of 10^(k+1) it may contain, or the closer of
// s*10^k and (s+1)*10^k, where s = floor(v/10^k). Only v/10^k and the
// interval's ends divided by 10^k are needed, each to its integer part and
// whether it has a fraction; a 128-bit power of ten gives both exactly.

//go:generate go run float_gen.go

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
)

const (
	mantBits = 52                        // stored significand bits of a float64
	minExp2  = -1074                     // q of subnormals: v = c * 2^minExp2
	expBias  = 1023 + mantBits           // q = biased exponent - expBias
	hidden   = uint64(1) << mantBits     // the implicit leading bit of a normal significand
	mantMask = hidden - 1                // the stored significand bits
	expMask  = uint64(0x7ff) << mantBits // the exponent bits; all ones for NaN and ±Inf
)

// appendShortest appends finite f in the answers' number format: the
// shortest decimal that parses back to f, in plain notation when
// 1e-6 <= |f| < 1e21 (or f is ±0) and in exponent notation ("1.5e-7",
// "1e+21") otherwise. NaN and ±Inf are the caller's to handle.
func appendShortest(b []byte, f float64) []byte {
	u := math.Float64bits(f)
	neg := u>>63 != 0
	c, q := significand(u) // |f| = c * 2^q
	if c == 0 {
		if neg {
			return append(b, '-', '0')
		}
		return append(b, '0')
	}

	// Integers below 2^53: their digits are the shortest decimal, since
	// the floats around them are at most 1 apart, so no other decimal as
	// short rounds to them. Whole numbers are common in answers (counts,
	// bytes), and this skips the search.
	if q <= 0 && q > -mantBits-1 && c&(1<<uint(-q)-1) == 0 {
		v := c >> uint(-q)
		n := decimalLen(v)
		return appendDigits17(b, neg, v*pow10s[17-n], n, false)
	}

	// The shortest decimal d*10^e10 that rounds to v = c*2^q, the one
	// closest to v when there are several, the one with an even last
	// digit when two are as close (Schubfach; this is one function, not
	// two, because the call cost a tenth of the time).
	//
	// The rounding interval of v runs from halfway to the float below to
	// halfway to the float above: in units of 2^(q-2), from cbl to cbr
	// around cb = 4c. The neighbours are 2^q away, except below a power
	// of two, where the lower one is 2^(q-1) away. The ends parse to v
	// (ties go to the even significand) only when c is even.
	out := c & 1
	cb := c << 2
	cbr := cb + 2
	var cbl uint64
	var k int
	if c != hidden || q == minExp2 {
		cbl = cb - 2
		k = floorLog10Pow2(q)
	} else {
		cbl = cb - 1
		k = floorLog10ThreeQuartersPow2(q)
	}

	// k is chosen so that the interval is 1 to 10 units of 10^k wide.
	// vb, vbl, vbr are 4*v/10^k and the interval's ends likewise, each
	// to its integer part with bit 0 set when it has a fraction ("round
	// to odd"): that keeps comparisons with multiples of 2 exact.
	g := &pow10Table[-k-minPow10]
	h := uint(q + floorLog2Pow10(-k) + 1) // 1..4: scales by 2^q against g's 2^-127 scale
	vb := mulRoundToOdd(g, cb<<h)
	vbl := mulRoundToOdd(g, cbl<<h)
	vbr := mulRoundToOdd(g, cbr<<h)

	s := vb >> 2 // floor(v/10^k)

	// The interval is less than 10 units of 10^k wide, so it holds at
	// most one multiple of 10^(k+1): sp10 or tp10, the ones around s.
	// If it does, that is the shortest decimal. The choices are made
	// with arithmetic rather than branches: which way they go depends on
	// the value, and mispredicted branches cost more than the arithmetic.
	s10 := s / 10
	sp10, tp10 := s10*10, s10*10+10
	upin := b2u(vbl+out <= sp10<<2)
	wpin := b2u(tp10<<2+out <= vbr)

	// Otherwise the shortest have as many digits as s: one or both of s
	// and t = s+1 are in (the interval is at least 1 unit wide). t if s
	// is out, or if both are in and t is closer to v, or as close and s
	// is odd. (Whether an end is in: "+ out" makes <= a < when the ends
	// are excluded.)
	t := s + 1
	uin := b2u(vbl+out <= s<<2)
	win := b2u(t<<2+out <= vbr)
	mid := (s + t) << 1 // 4*(s+1/2)
	closerT := b2u(vb > mid) | b2u(vb == mid)&s&1
	d, e10 := s+((1-uin)|(win&closerT)), k
	if upin != wpin {
		d, e10 = s10+wpin, k+1
	}
	// Scale d to exactly 17 digits for appendDigits17. Unless f is
	// subnormal, s has 16 or 17 (v/10^k >= c >= 2^52, as 10^k <= 2^q), so
	// d has 15 to 17; those with 16 or 17 take the short way. (Adding one
	// for 15 digits measured slower: it lengthens the chain of dependent
	// instructions that bounds the speed here.)
	if d >= 1e15 {
		if d < 1e16 {
			d *= 10
			e10--
		}
	} else {
		n := decimalLen(d)
		d *= pow10s[17-n]
		e10 -= 17 - n
	}
	a := math.Abs(f)
	return appendDigits17(b, neg, d, 17+e10, a < 1e-6 || a >= 1e21)
}

// significand returns c and q such that c * 2^q is the magnitude of the
// finite float64 whose bits are u (c is 0 for ±0).
func significand(u uint64) (c uint64, q int) {
	exp := int((u & expMask) >> mantBits)
	mant := u & mantMask
	if exp == 0 {
		return mant, minExp2
	}
	return mant | hidden, exp - expBias
}

// b2u returns 1 for true and 0 for false.
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// mulRoundToOdd returns the integer part of E = x*G/2^128, with bit 0 set
// when E has a fraction, where G is the exact power of ten that g (its
// pow10Table entry) rounds up. g exceeds G by at most 1 and x < 2^59, so
// x*g/2^128 exceeds E by less than 2^-69. If E is an integer, the
// product's integer part is E and its next 64 bits are zero. If it is
// not, its fraction is never within 2^-64 of 0 or 2^-69 of 1: Schubfach's
// analysis shows that much for the same x and k with a 126-bit g, which
// leaves less margin than this 128-bit one. So the integer part is E's and
// the fraction shows in those 64 bits. (TestAppendFloatMatchesStrconv and
// FuzzAppendFloat check the outcome against strconv.)
func mulRoundToOdd(g *[2]uint64, x uint64) uint64 {
	hiLo, _ := bits.Mul64(g[1], x)
	hiHi, loHi := bits.Mul64(g[0], x)
	middle, carry := bits.Add64(loHi, hiLo, 0)
	r := hiHi + carry
	if middle != 0 {
		r |= 1
	}
	return r
}

// floorLog10Pow2 returns floor(log10(2^q)) for |q| <= 1700: log10(2) as a
// fixed-point fraction, exact over that range (TestFloorLogs checks).
func floorLog10Pow2(q int) int {
	return q * 661971961083 >> 41
}

// floorLog10ThreeQuartersPow2 returns floor(log10(3/4 * 2^q)) for
// |q| <= 1700.
func floorLog10ThreeQuartersPow2(q int) int {
	return (q*661971961083 - 274743187321) >> 41
}

// floorLog2Pow10 returns floor(log2(10^k)) for |k| <= 400.
func floorLog2Pow10(k int) int {
	return k * 913124641741 >> 38
}

// appendDigits17 appends 0.d * 10^dp, where d has exactly 17 digits
// (possibly ending in zeros), in exponent notation if sci, else in plain
// notation, which then has at most 21 digits before the point or 5 zeros
// after it (by appendShortest's bounds).
func appendDigits17(b []byte, neg bool, d uint64, dp int, sci bool) []byte {
	// The digits as 17 characters, first then two words of 8 (see
	// digits8), so that the text is built with 8-byte stores; n is how
	// many are significant, the rest being zeros. The two divisions are
	// independent, to shorten the chain of dependent instructions that
	// bounds the speed here.
	top, first := d/1e8, d/1e16
	hi8, lo8 := top-first*1e8, d-top*1e8
	w1, w2 := digits8(hi8), digits8(lo8)
	n := 9 - bits.LeadingZeros64(w1)/8 // 1 if w1 is zero too
	if w2 != 0 {
		n = 17 - bits.LeadingZeros64(w2)/8
	}
	w1 += asciiZeros
	w2 += asciiZeros

	// Write in b's spare capacity: 8-byte stores may write past the end
	// of their piece; what follows overwrites that, or it is left out.
	const room = 40
	if cap(b)-len(b) < room {
		b = append(make([]byte, 0, 2*cap(b)+room), b...)
	}
	out := b[len(b) : len(b)+room]
	i := 0
	if neg {
		out[0] = '-'
		i = 1
	}
	switch {
	case sci: // d.ddde-x, or de-x
		out[i] = byte('0' + first)
		out[i+1] = '.'
		put64(out, i+2, w1)
		put64(out, i+10, w2)
		i += n + int(b2u(n > 1)) // past the digits, and the point if there are more than one
		x := dp - 1
		sign := byte('+')
		if x < 0 {
			sign, x = '-', -x
		}
		out[i], out[i+1] = 'e', sign
		text := exponentText[x]
		binary.LittleEndian.PutUint32(out[i+2:], text)
		i += 2 + int(text>>24)
	case dp >= n: // an integer: the 17 digits (zeros after the n-th) and more zeros, cut at dp
		out[i] = byte('0' + first)
		put64(out, i+1, w1)
		put64(out, i+9, w2)
		put64(out, i+17, asciiZeros)
		i += dp
	case dp > 0: // digits, point, digits
		out[i] = byte('0' + first)
		put64(out, i+1, w1)
		put64(out, i+9, w2)
		// The digits after the point, digit dp on, as two words: the
		// 17 digits shifted left by dp.
		var f1, f2 uint64
		if dp <= 8 {
			f1 = w1>>(8*(dp-1)) | w2<<(8*(9-dp))
			f2 = w2 >> (8 * (dp - 1))
		} else {
			f1 = w2 >> (8 * (dp - 9))
		}
		out[i+dp] = '.'
		put64(out, i+dp+1, f1)
		put64(out, i+dp+9, f2)
		i += n + 1
	default: // "0.", -dp zeros (at most 5), digits
		out[i], out[i+1] = '0', '.'
		put64(out, i+2, asciiZeros)
		i += 2 - dp
		out[i] = byte('0' + first)
		put64(out, i+1, w1)
		put64(out, i+9, w2)
		i += n
	}
	return b[:len(b)+i]
}

// exponentText[x] is the decimal text of x (< 325, no leading zeros) in
// its low 3 bytes, first digit lowest, and its length in the high byte:
// one load and one store for the exponent of exponent notation.
var exponentText = func() (t [325]uint32) {
	for x := range t {
		var text uint32
		n := 0
		for _, c := range []byte(strconv.Itoa(x)) {
			text |= uint32(c) << (8 * n)
			n++
		}
		t[x] = text | uint32(n)<<24
	}
	return t
}()

// asciiZeros is eight '0' characters as a little-endian word: added to a
// word of digit values, it makes their text.
const asciiZeros = 0x3030303030303030

// put64 stores w at b[i:i+8], little-endian: its low byte first.
func put64(b []byte, i int, w uint64) {
	binary.LittleEndian.PutUint64(b[i:], w)
}

// digits8 returns the 8 decimal digits of v (< 10^8, zero-padded) as
// byte values 0-9 in a word, the first digit in the low byte, so that the
// word's high zero bytes are v's trailing zeros. The digits are computed
// in parallel lanes (SWAR) instead of one division after another.
func digits8(v uint64) uint64 {
	// Two 4-digit halves in 32-bit lanes, the high half in the low lane:
	// hi | (v-hi*10000)<<32, folded into one multiply and add.
	hi := v * 109951163 >> 40 // v/10000 for v < 10^8 (TestDigits8)
	x := v<<32 + hi*(1<<64+1-10000<<32)
	// Each lane into two 2-digit halves in 16-bit lanes: n/100 is
	// n*5243>>19 for n < 43699.
	hundreds := x * 5243 >> 19 & 0x0000007f_0000007f
	y := x<<16 + hundreds*(1<<64+1-100<<16)
	// Each 16-bit lane into tens and units in bytes: n/10 is n*103>>10
	// for n < 179.
	tens := y * 103 >> 10 & 0x000f000f_000f000f
	return y<<8 + tens*(1<<64+1-10<<8)
}

// pow10s[i] is 10^i.
var pow10s = [...]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// decimalLen returns the number of decimal digits of v (0 for 0).
func decimalLen(v uint64) int {
	// log10(2) ~ 1233/4096: an estimate from the bit length that is
	// exact or one short.
	n := bits.Len64(v|1) * 1233 >> 12
	if v >= pow10s[n] {
		n++
	}
	return n
}
