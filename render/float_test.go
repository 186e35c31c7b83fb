package render

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"
)

// refAppendFloat is appendFloat as it was before float.go, on strconv:
// the format contract that appendFloat must keep byte for byte.
func refAppendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Shorten a two-digit negative exponent "e-07" to "e-7".
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// floatChecker compares appendFloat with refAppendFloat, reporting the
// first few differences of a subtest.
type floatChecker struct {
	t         *testing.T
	got, want []byte
	failures  int
}

// check compares both ways of writing f and of writing -f, each appended
// to a non-empty buffer.
func (c *floatChecker) check(f float64) {
	c.checkOne(f)
	c.checkOne(-f)
}

func (c *floatChecker) checkOne(f float64) {
	c.got = appendFloat(append(c.got[:0], 'x'), f)
	c.want = refAppendFloat(append(c.want[:0], 'x'), f)
	if string(c.got) != string(c.want) {
		c.failures++
		if c.failures <= 10 {
			c.t.Errorf("appendFloat(%v) (bits %#016x) = %s, strconv says %s", f, math.Float64bits(f), c.got[1:], c.want[1:])
		}
	}
}

// differentialCounts returns how many random values each random subtest
// of TestAppendFloatMatchesStrconv checks: millions normally, fewer under
// -short and the race detector (which slows this code about tenfold).
func differentialCounts() (randomBits, shortDecimals int) {
	switch {
	case raceEnabled:
		return 300_000, 100_000
	case testing.Short():
		return 1_000_000, 300_000
	}
	return 8_000_000, 2_000_000
}

// TestAppendFloatMatchesStrconv: appendFloat writes what strconv-based
// refAppendFloat writes, byte for byte, for special values, every binary
// exponent's edges, powers of ten, the format's switch points, integers,
// random bit patterns and random short decimals.
func TestAppendFloatMatchesStrconv(t *testing.T) {
	t.Parallel()
	randomBits, shortDecimals := differentialCounts()
	run := func(name string, fn func(c *floatChecker)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(&floatChecker{t: t})
		})
	}
	run("special values", func(c *floatChecker) {
		for _, f := range []float64{
			0, math.SmallestNonzeroFloat64, math.Float64frombits(mantMask), math.Float64frombits(hidden),
			math.MaxFloat64, math.NaN(), math.Inf(1), 1, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, math.Pi, math.E,
			5e-324, 1e-323, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308,
			1e23, 8.41e21, 5.0e-324 * 3, 9007199254740993, 4.35e-7, 1e-7, 1.2e-9, 0.0123, 152.337,
			123456789012345680, 1.2345678901234567e20, 9.999999999999999e20, 299792458, 6.02214076e23,
		} {
			c.check(f)
		}
	})
	run("subnormals", func(c *floatChecker) {
		for m := uint64(1); m <= 50_000; m++ {
			c.check(math.Float64frombits(m))
			c.check(math.Float64frombits(mantMask + 1 - m))
		}
	})
	run("every exponent's edges", func(c *floatChecker) {
		// The powers of two (where the lower neighbour is closer), their
		// neighbours, and the significands' ends, for every exponent.
		for e := uint64(0); e < 0x7ff; e++ {
			for _, m := range []uint64{0, 1, 2, 3, 4, 5, mantMask / 2, mantMask/2 + 1, mantMask - 2, mantMask - 1, mantMask} {
				c.check(math.Float64frombits(e<<mantBits | m))
			}
		}
	})
	run("powers of ten and their neighbours", func(c *floatChecker) {
		for p := -325; p <= 309; p++ {
			f, _ := strconv.ParseFloat("1e"+strconv.Itoa(p), 64)
			for _, m := range []float64{1, 2, 3, 5, 9, 9.5, 1.5, 2.5} {
				g, _ := strconv.ParseFloat(strconv.FormatFloat(m, 'f', -1, 64)+"e"+strconv.Itoa(p), 64)
				c.check(g)
			}
			up, down := f, f
			for range 20 {
				c.check(up)
				c.check(down)
				up, down = math.Nextafter(up, math.Inf(1)), math.Nextafter(down, 0)
			}
		}
	})
	run("around the switches to exponent notation", func(c *floatChecker) {
		for _, f := range []float64{1e-6, 1e21, 1e-5, 1e20} {
			up, down := f, f
			for range 20_000 {
				c.check(up)
				c.check(down)
				up, down = math.Nextafter(up, math.Inf(1)), math.Nextafter(down, 0)
			}
		}
	})
	run("integers", func(c *floatChecker) {
		for i := range 200_000 {
			c.check(float64(i))
		}
		for _, base := range []float64{1 << 52, 1 << 53, 1 << 54, 1 << 63, 1 << 64} {
			up, down := base, base
			for range 20_000 {
				c.check(up)
				c.check(down)
				up, down = math.Nextafter(up, math.Inf(1)), math.Nextafter(down, 0)
			}
		}
		rng := rand.New(rand.NewPCG(3, 4))
		for range 200_000 {
			c.check(float64(rng.Uint64N(1 << 53)))
			c.check(float64(rng.Uint64() >> rng.UintN(64)))
			c.check(float64(rng.Uint64N(1<<20)) * math.Pow(10, float64(rng.IntN(23)))) // 1200, 5e17, ...
		}
	})
	run("random bit patterns", func(c *floatChecker) {
		rng := rand.New(rand.NewPCG(5, 6))
		for range randomBits / 2 { // check does f and -f
			c.check(math.Float64frombits(rng.Uint64()))
		}
	})
	run("random short decimals", func(c *floatChecker) {
		// Values as people and meters write them: a few significant
		// digits, mostly with exponents near 0, some anywhere.
		rng := rand.New(rand.NewPCG(7, 8))
		var text []byte
		for range shortDecimals / 2 {
			digits := rng.Uint64N(pow10s[1+rng.IntN(17)])
			exp := rng.IntN(25) - 15
			if rng.IntN(4) == 0 {
				exp = rng.IntN(650) - 340
			}
			text = strconv.AppendUint(text[:0], digits, 10)
			text = append(text, 'e')
			text = strconv.AppendInt(text, int64(exp), 10)
			f, err := strconv.ParseFloat(string(text), 64)
			if err != nil && !math.IsInf(f, 0) {
				c.t.Fatal(err)
			}
			c.check(f)
		}
	})
}

// FuzzAppendFloat: appendFloat writes what strconv-based refAppendFloat
// writes for any float64, and finite values as encoding/json does.
func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{
		0, math.Copysign(0, -1), -1, 1.5, 2.1e8, 1 << 53, 1<<53 + 2, -1e21, 1e-7, 1e-6, 9.999999999999999e-7,
		5e-324, math.MaxFloat64, 2.2250738585072014e-308, 1e23, 1.2e-9, 0.0123, 152.337, math.NaN(), math.Inf(-1),
	} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, u uint64) {
		v := math.Float64frombits(u)
		got := appendFloat(nil, v)
		if want := refAppendFloat(nil, v); string(got) != string(want) {
			t.Fatalf("appendFloat(%v) (bits %#016x) = %s, strconv says %s", v, u, got, want)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("appendFloat(%v) = %s, encoding/json says %s", v, got, want)
		}
	})
}

// TestFloorLogs checks float.go's fixed-point logarithms against exact
// comparisons of powers, over the ranges their doc comments promise.
func TestFloorLogs(t *testing.T) {
	t.Parallel()
	// floorLog checks that 10^k <= x < 10^(k+1) (base 10) or
	// 2^k <= x < 2^(k+1) (base 2).
	floorLog := func(name string, arg int, x *big.Rat, base int64, k int) {
		lo, hi := ratPow(base, k), ratPow(base, k+1)
		if lo.Cmp(x) > 0 || x.Cmp(hi) >= 0 {
			t.Errorf("%s(%d) = %d, wrong", name, arg, k)
		}
	}
	for q := -1700; q <= 1700; q++ {
		floorLog("floorLog10Pow2", q, ratPow(2, q), 10, floorLog10Pow2(q))
		x := new(big.Rat).Mul(big.NewRat(3, 4), ratPow(2, q))
		floorLog("floorLog10ThreeQuartersPow2", q, x, 10, floorLog10ThreeQuartersPow2(q))
	}
	for k := -400; k <= 400; k++ {
		floorLog("floorLog2Pow10", k, ratPow(10, k), 2, floorLog2Pow10(k))
	}
}

// ratPow returns base^e exactly.
func ratPow(base int64, e int) *big.Rat {
	p := new(big.Int).Exp(big.NewInt(base), big.NewInt(int64(max(e, -e))), nil)
	if e < 0 {
		return new(big.Rat).SetFrac(big.NewInt(1), p)
	}
	return new(big.Rat).SetInt(p)
}

// TestPow10Table checks every generated power of ten against its
// definition (floor(10^j * 2^(127-floorLog2Pow10(j))) + 1, 128 bits) and
// that it covers every k that appendShortest looks up.
func TestPow10Table(t *testing.T) {
	t.Parallel()
	for j := minPow10; j <= maxPow10; j++ {
		x := new(big.Rat).Mul(ratPow(10, j), ratPow(2, 127-floorLog2Pow10(j)))
		want := new(big.Int).Quo(x.Num(), x.Denom())
		want.Add(want, big.NewInt(1))
		g := pow10Table[j-minPow10]
		got := new(big.Int).Lsh(new(big.Int).SetUint64(g[0]), 64)
		got.Or(got, new(big.Int).SetUint64(g[1]))
		if got.Cmp(want) != 0 || got.BitLen() != 128 {
			t.Errorf("pow10Table for 1e%d = %#x, want %#x (128 bits); run go generate", j, got, want)
		}
	}
	for q := minExp2; q <= 0x7fe-expBias; q++ {
		for _, k := range []int{floorLog10Pow2(q), floorLog10ThreeQuartersPow2(q)} {
			if -k < minPow10 || -k > maxPow10 {
				t.Errorf("q=%d needs 1e%d, outside the table", q, -k)
			}
		}
	}
}

// TestDigits8 checks digits8's lanes, and its division by 10000 by
// multiplication, against strconv on every power of ten, its neighbours
// and random values below 10^8.
func TestDigits8(t *testing.T) {
	t.Parallel()
	values := []uint64{0, 99_999_999}
	for _, p := range pow10s[:9] {
		values = append(values, p-1, p, p+1)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for range 100_000 {
		values = append(values, rng.Uint64N(1e8))
	}
	for _, v := range values {
		if v >= 1e8 {
			continue
		}
		w := digits8(v)
		var got [8]byte
		for i := range got {
			got[i] = byte('0' + w>>(8*i)&0xff)
		}
		if want := fmt.Sprintf("%08d", v); string(got[:]) != want {
			t.Errorf("digits8(%d) = %q, want %q", v, got, want)
		}
	}
}

// floatMix is BenchmarkAppendFloat's values: what answers carry. Small
// rates, percentages and latencies with a few digits, whole numbers, and
// random bit patterns (17 digits, any exponent) as the worst case.
func floatMix() []float64 {
	rng := rand.New(rand.NewPCG(9, 10))
	var mix []float64
	for i := range 1000 {
		var f float64
		switch i % 5 {
		case 0: // rates: 1.2e-9
			f = float64(1+rng.IntN(999)) * 1e-11
		case 1: // percentages: 0.0123
			f = float64(rng.IntN(10000)) / 1e4
		case 2: // latencies: 152.337
			f = float64(rng.IntN(1_000_000)) / 1e3
		case 3: // whole numbers: bytes, counts
			f = float64(rng.IntN(1 << 30))
		default:
			f = math.Float64frombits(rng.Uint64())
			if math.IsNaN(f) || math.IsInf(f, 0) {
				f = 1 / 3.0
			}
		}
		mix = append(mix, f)
	}
	return mix
}

// BenchmarkAppendFloat compares appendFloat with the strconv-based
// refAppendFloat on floatMix and on each kind of value alone; ns/op is
// per value.
func BenchmarkAppendFloat(b *testing.B) {
	mix := floatMix()
	sets := []struct {
		name   string
		values []float64
	}{{"mix", mix}}
	for kind, name := range []string{"rates", "percentages", "latencies", "whole", "randombits"} {
		var v []float64
		for i := kind; i < len(mix); i += 5 {
			v = append(v, mix[i])
		}
		sets = append(sets, struct {
			name   string
			values []float64
		}{name, v})
	}
	for _, set := range sets {
		for _, impl := range []struct {
			name string
			fn   func([]byte, float64) []byte
		}{{"new", appendFloat}, {"strconv", refAppendFloat}} {
			b.Run(set.name+"/"+impl.name, func(b *testing.B) {
				buf := make([]byte, 0, 64)
				n := 0
				for b.Loop() {
					buf = impl.fn(buf[:0], set.values[n])
					if n++; n == len(set.values) {
						n = 0
					}
				}
			})
		}
	}
}
