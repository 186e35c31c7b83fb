#!/usr/bin/env python3
"""Reference values for the tolerance package, computed by CPython's statistics module.

Regenerate (python3 stdlib only; committed output was produced with Python 3.11):

    cd tolerance/testdata && python3 gen_python.py > python_stats.json

The Go test TestPythonStats compares the package's percentiles, median and
mean with these values, and TestPythonCompat replays each compatibility case
and compares the verdict (and value) with the one computed here by
re-implementing chaostoolkit-pixie's tolerance logic with statistics.quantiles
and statistics.median.
"""

import json
import math
import re
import statistics
import sys

PERCENTILES = [1, 50, 90, 95, 99]


def lcg(seed):
    """A deterministic 31-bit linear congruential generator."""
    x = seed
    while True:
        x = (1103515245 * x + 12345) % (1 << 31)
        yield x


def floats(n, seed, scale):
    g = lcg(seed)
    return [round(next(g) / (1 << 31) * scale, 6) for _ in range(n)]


def ints(n, seed, lo, hi):
    g = lcg(seed)
    return [lo + next(g) % (hi - lo + 1) for _ in range(n)]


def linear(data, p):
    """numpy.percentile's default method ("linear"), written out by hand."""
    x = sorted(data)
    n = len(x)
    h = (n - 1) * (p / 100)
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    t = h - lo
    a, b = x[lo], x[hi]
    d = b - a
    # numpy's _lerp: computed from the nearer end.
    return b - d * (1 - t) if t >= 0.5 else a + d * t


DIVISORS = {None: 1, "ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}

DATASETS = [
    ("seed example", [0.5, 0.8, 0.9], None),
    ("two values", [3.0, 7.0], None),
    ("ten values", [12, 5, 7, 3, 9, 1, 15, 8, 2, 11], None),
    ("101 generated values", floats(101, 42, 1000.0), None),
    ("latencies in ns", ints(57, 7, 1_000_000, 500_000_000), None),
    ("latencies in ns as ms", ints(57, 7, 1_000_000, 500_000_000), "ms"),
    ("latencies in ns as s", ints(33, 11, 1_000_000, 500_000_000), "s"),
    ("duplicates", [5, 5, 5, 1, 1, 9, 9, 9, 9], None),
    ("negative numbers", [-3.5, -1, 0, 2.25, -10, 4, -0.125], None),
    ("1000 generated values", floats(1000, 3, 1.0), None),
]


def dataset(name, raw, unit):
    values = [v / DIVISORS[unit] for v in raw] if unit else list(raw)
    q = statistics.quantiles(values, n=100)
    return {
        "name": name,
        "values": raw,
        "unit": unit or "",
        "exclusive": {str(p): q[p - 1] for p in PERCENTILES},
        "linear": {str(p): linear(values, p) for p in PERCENTILES},
        "median": statistics.median(values),
        "mean": statistics.mean(values),
    }


CONVERT = {"seconds": 1.0e9, "milliseconds": 1.0e6, "microseconds": 1.0e3}


def compat_verdict(rows, func, args):
    """chaostoolkit-pixie's tolerance functions, re-implemented: returns (passed, value)."""
    column = args["column"]
    threshold = float(args["treshold"] if "treshold" in args else args["threshold"])
    percentile = int(float(args.get("percentile", 99)))
    conv = args.get("convert_from_nanoseconds")
    target = args.get("target")
    key = rgx = None
    if target:
        key, rgx = target[0], re.compile(target[1])
    values = []
    for r in rows:
        if key and key in r and rgx.match(r[key]) is None:
            continue
        if column not in r:
            continue
        v = r[column]
        if conv:
            v = v / CONVERT[conv]
        values.append(v)
    try:
        if func.startswith("median"):
            value = statistics.median(values)
        else:
            value = statistics.quantiles(values, n=100)[percentile - 1]
    except statistics.StatisticsError:
        return False, None
    if func.endswith("_below"):
        return value <= threshold, value
    return value >= threshold, value


def pods(latencies, names):
    return [{"latency": v, "pod": names[i % len(names)]} for i, v in enumerate(latencies)]


def compat_cases():
    seed = [{"latency": 0.5}, {"latency": 0.8}, {"latency": 0.9}]
    lat = ints(120, 5, 1_000_000, 450_000_000)
    lat_rows = [{"latency_p99": v, "service": "default/consumer"} for v in lat]
    fast_rows = [{"latency_p99": v} for v in ints(90, 13, 1_000_000, 290_000_000)]
    p99ms = statistics.quantiles([v / 1e6 for v in lat], n=100)[98]
    med_ms = statistics.median([v / 1e6 for v in lat])
    mixed = pods(ints(40, 9, 1_000_000, 90_000_000), ["/consumer/1", "/consumer/2", "/producer/3"])
    mixed.insert(5, {"something": 0.8, "pod": "/consumer/2"})
    cases = [
        ("seed p99 below 1.0", seed, "percentile_should_be_below", {"column": "latency", "treshold": 1.0, "percentile": 99}),
        ("seed p99 above 1.0", seed, "percentile_should_be_above", {"column": "latency", "treshold": 1.0, "percentile": 99}),
        ("seed p99 below 0.996 boundary", seed, "percentile_should_be_below", {"column": "latency", "treshold": statistics.quantiles([0.5, 0.8, 0.9], n=100)[98]}),
        ("seed p99 below 0.99", seed, "percentile_should_be_below", {"column": "latency", "treshold": 0.99}),
        ("seed median below 1.0", seed, "median_should_be_below", {"column": "latency", "treshold": 1.0}),
        ("seed median above 1.0", seed, "median_should_be_above", {"column": "latency", "treshold": 1.0}),
        ("seed median above 0.8 boundary", seed, "median_should_be_above", {"column": "latency", "treshold": 0.8}),
        ("empty rows fail", [], "percentile_should_be_below", {"column": "latency", "treshold": 1.0}),
        ("empty rows fail for median", [], "median_should_be_below", {"column": "latency", "treshold": 1.0}),
        ("one value fails the percentile", [{"latency": 0.5}], "percentile_should_be_below", {"column": "latency", "treshold": 1.0}),
        ("one value is its own median", [{"latency": 0.5}], "median_should_be_below", {"column": "latency", "treshold": 1.0}),
        ("even count median", [{"latency": v} for v in [4, 1, 3, 2]], "median_should_be_above", {"column": "latency", "treshold": 2.5}),
        ("the seed's experiment passes at 300 ms", fast_rows, "percentile_should_be_below", {"column": "latency_p99", "percentile": 99, "convert_from_nanoseconds": "milliseconds", "treshold": 300.0}),
        ("the seed's experiment fails with p99 at 447 ms", lat_rows, "percentile_should_be_below", {"column": "latency_p99", "percentile": 99, "convert_from_nanoseconds": "milliseconds", "treshold": 300.0}),
        ("the seed's experiment with threshold at exactly p99", lat_rows, "percentile_should_be_below", {"column": "latency_p99", "convert_from_nanoseconds": "milliseconds", "treshold": p99ms}),
        ("one ulp below p99 fails below", lat_rows, "percentile_should_be_below", {"column": "latency_p99", "convert_from_nanoseconds": "milliseconds", "treshold": math.nextafter(p99ms, -math.inf)}),
        ("exactly p99 passes above", lat_rows, "percentile_should_be_above", {"column": "latency_p99", "convert_from_nanoseconds": "milliseconds", "threshold": p99ms}),
        ("one ulp above p99 fails above", lat_rows, "percentile_should_be_above", {"column": "latency_p99", "convert_from_nanoseconds": "milliseconds", "threshold": math.nextafter(p99ms, math.inf)}),
        ("median at exactly the threshold", lat_rows, "median_should_be_below", {"column": "latency_p99", "convert_from_nanoseconds": "milliseconds", "treshold": med_ms}),
        ("median one ulp above the threshold", lat_rows, "median_should_be_below", {"column": "latency_p99", "convert_from_nanoseconds": "milliseconds", "treshold": math.nextafter(med_ms, -math.inf)}),
        ("seconds", lat_rows, "percentile_should_be_below", {"column": "latency_p99", "percentile": 95, "convert_from_nanoseconds": "seconds", "treshold": 0.4}),
        ("microseconds", lat_rows, "percentile_should_be_above", {"column": "latency_p99", "percentile": 50, "convert_from_nanoseconds": "microseconds", "treshold": 200000}),
        ("no conversion p90", lat_rows, "percentile_should_be_below", {"column": "latency_p99", "percentile": 90, "treshold": 400_000_000}),
        ("p1", lat_rows, "percentile_should_be_above", {"column": "latency_p99", "percentile": 1, "treshold": 3_000_000}),
        ("threshold as a string", lat_rows, "percentile_should_be_below", {"column": "latency_p99", "percentile": "99", "convert_from_nanoseconds": "milliseconds", "treshold": "300.0"}),
        ("target keeps the consumer pods", mixed, "percentile_should_be_below", {"column": "latency", "convert_from_nanoseconds": "milliseconds", "treshold": 80, "target": ["pod", "/consumer.*"]}),
        ("target is anchored at the start", mixed, "percentile_should_be_below", {"column": "latency", "treshold": 1e9, "target": ["pod", "consumer"]}),
        ("target is not anchored at the end", mixed, "median_should_be_below", {"column": "latency", "convert_from_nanoseconds": "milliseconds", "treshold": 45, "target": ["pod", "/producer"]}),
        ("target alternation", mixed, "median_should_be_above", {"column": "latency", "convert_from_nanoseconds": "milliseconds", "treshold": 40, "target": ["pod", "/producer|/consumer/1"]}),
        ("target key absent filters nothing", mixed, "percentile_should_be_below", {"column": "latency", "convert_from_nanoseconds": "milliseconds", "treshold": 85, "target": ["node", "nothing-matches"]}),
        ("target with an empty key filters nothing", mixed, "percentile_should_be_above", {"column": "latency", "convert_from_nanoseconds": "milliseconds", "treshold": 85, "target": ["", "x"]}),
        ("duplicates", [{"v": x} for x in [5, 5, 5, 1, 1, 9, 9, 9, 9]], "percentile_should_be_below", {"column": "v", "percentile": 50, "treshold": 5}),
        ("negative numbers", [{"v": x} for x in [-3.5, -1, 0, 2.25, -10, 4]], "percentile_should_be_above", {"column": "v", "percentile": 10, "treshold": -10}),
    ]
    out = []
    for name, rows, func, args in cases:
        passed, value = compat_verdict(rows, func, args)
        out.append({"name": name, "rows": rows, "func": func, "arguments": args, "passed": passed, "value": value})
    return out


def main():
    doc = {
        "python": sys.version.split()[0],
        "datasets": [dataset(*d) for d in DATASETS],
        "compat": compat_cases(),
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
