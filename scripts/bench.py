#!/usr/bin/env python3
"""Runs dynplug's benchmarks against its peers and writes the results.

    python3 scripts/bench.py                 # everything (about 5 minutes)
    python3 scripts/bench.py --no-callgrind  # timings only
    python3 scripts/bench.py --reuse         # re-render from the last run

1. `cargo bench -p dynplug-bench` (divan): medians of every benchmark, in
   one run on one machine. Its output is kept in target/dynplug-bench/.
2. Instructions per call (and per load) with `valgrind --tool=callgrind`:
   `callgrind-calls` runs each case N times and 2N times; the difference of
   the two counts over N cancels setup (loading, process start) out.
3. Reload latency: `hot-reload` renames a new version of a plugin over the
   watched file, ROUNDS times per side (`dynplug::Hot`, hot-lib-reloader),
   and prints each time to the first call the new version served (JSON,
   kept in target/dynplug-bench/hot-reload.json).
4. Writes the tables between the `results` markers of BENCHMARKS.md, the
   headline between the `bench` markers of README.md, and the plot
   bench/load-time.svg (load time against method count, each approach).

Standard library only: no matplotlib, the SVG is written by hand.
"""

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
OUT = TARGET / "dynplug-bench"
BENCHMARKS = ROOT / "BENCHMARKS.md"
README = ROOT / "README.md"
PLOT = ROOT / "bench" / "load-time.svg"

CALL_CASES = [
    ("raw_fn_pointer", "raw `extern \"C\"` fn pointer (libloading, once)"),
    ("libloading_symbol", "kept `libloading::Symbol`"),
    ("dlopen2_wrapper", "dlopen2 `WrapperApi` container"),
    ("bindgen_style", "bindgen `--dynamic-loading` style struct"),
    ("dynplug", "**dynplug** loader, through the trait"),
    ("libloading_get_per_call", "libloading `get` on every call"),
]
LOAD_APPROACHES = [
    ("dynplug", "dynplug `load` (all checks), file loaded before"),
    ("dynplug_first", "dynplug `load` (all checks), file read"),
    ("libloading", "libloading: dlopen + N `get`"),
    ("dlopen2", "dlopen2 `Container::load`"),
    ("dynplug_inspect", "dynplug `inspect` alone"),
]
SIZES = [10, 100, 1000]
CALLGRIND_CALLS = 200_000
CALLGRIND_LOADS = {10: 200, 100: 40, 1000: 4}
CALLGRIND_MAKES = 20_000

# Targets of the benchmark issue (ratios, one run).
CALL_RATIO_TARGET = 1.05
CALL_INSTR_TARGET = 3
LOAD_RATIO_TARGET = 1.2
STRING_RATIO_TARGET = 1.5
# Targets of the objects issue: a call through a returned `Box<dyn I>`
# against the same call on an in-process `Box<dyn Trait>`, and making plus
# dropping one against `Box::new` plus drop.
OBJECT_INSTR_TARGET = 6
OBJECT_MAKE_RATIO_TARGET = 2.5
OBJECT_CASES = ["dynplug", "in_process"]
# Target of the catalogue issue: scanning a folder of 1,000 plugin files at
# least 5 times faster than opening and closing each with libloading.
SCAN_SPEEDUP_TARGET = 5.0
# Targets of the hot-reload issue (#14): a call through `Hot::get` at most
# 2 ns more than through the plain loader, and a new version serving less
# than 10 ms after its file is renamed into place (median of the rounds).
HOT_CALL_EXTRA_NS_TARGET = 2.0
HOT_RELOAD_MS_TARGET = 10.0
HOT_CASES = [
    ("plain", "dynplug loader, through the trait (no reloading)"),
    ("hot_get", "**dynplug** `hot.get().add(..)`"),
    ("hot_cache", "**dynplug** `cache.get().add(..)` (a `HotCache` per caller)"),
    ("hot_lib_reloader", "hot-lib-reloader `hot_module` function"),
]
HOT_RELOAD_CASES = [
    ("dynplug_hot", "**dynplug** `Hot`, default options"),
    ("hot_lib_reloader_default", "hot-lib-reloader, default debounce"),
    ("hot_lib_reloader_quick", "hot-lib-reloader, smallest debounce"),
]
HOT_RELOAD_ROUNDS = 20


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, cwd=ROOT, check=True, **kw)


# ---------------------------------------------------------------- timings

UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
TREE = re.compile(r"^([│ ]*)[├╰]─ (\S+)(.*)$")


def parse_divan(text):
    """`{"calls/add/dynplug": median_ns, ...}` from divan's tree output."""
    medians = {}
    root = None
    stack = []
    for line in text.splitlines():
        m = TREE.match(line)
        if not m:
            # A benchmark binary's root line: `calls   fastest │ slowest ...`
            if "fastest" in line and "median" in line:
                root = line.split()[0]
                stack = []
            continue
        depth = len(m.group(1)) // 3
        stack = stack[:depth] + [m.group(2)]
        # The rest: `fastest │ slowest │ median │ mean │ samples │ iters`.
        cols = m.group(3).split("│")
        if len(cols) >= 3 and cols[2].strip():
            value, unit = cols[2].split()
            medians["/".join([root] + stack)] = float(value) * UNITS[unit]
    return medians


def run_benches():
    OUT.mkdir(parents=True, exist_ok=True)
    out = run(
        ["cargo", "bench", "-p", "dynplug-bench"],
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    sys.stderr.write(out)
    (OUT / "divan.txt").write_text(out)
    return out


# ------------------------------------------------------------ instructions


def collected(args):
    """Instructions callgrind counts for `callgrind-calls ARGS`."""
    exe = TARGET / "release" / "callgrind-calls"
    res = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", str(exe)]
        + [str(a) for a in args],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    m = re.search(r"Collected\s*:\s*(\d+)", res.stderr)
    if not m:
        raise SystemExit("no instruction count in callgrind's output:\n" + res.stderr)
    return int(m.group(1))


def per_run(args, n):
    """Instructions of one run of `args + [n]`: (count(2n) - count(n)) / n."""
    one, two = collected(args + [n]), collected(args + [2 * n])
    return (two - one) / n


def run_callgrind():
    run(["cargo", "build", "--release", "-p", "dynplug-bench", "--bin", "callgrind-calls"])
    counts = {"calls": {}, "loads": {}}
    for case, _ in CALL_CASES + [("loop_only", "")]:
        counts["calls"][case] = per_run(["call", case], CALLGRIND_CALLS)
        print(f"  {case}: {counts['calls'][case]:.2f} instructions per call", file=sys.stderr)
    counts["objects"] = {}
    for case in OBJECT_CASES:
        counts["objects"][case] = per_run(["object", case], CALLGRIND_CALLS)
        print(f"  object {case}: {counts['objects'][case]:.2f} instructions per call", file=sys.stderr)
        make = per_run(["object-make", case], CALLGRIND_MAKES)
        counts["objects"][f"make/{case}"] = make
        print(f"  object-make {case}: {make:.2f} instructions per object", file=sys.stderr)
    # No instruction counts for the hot-reload calls: the watchers'
    # threads (dynplug's and hot-lib-reloader's debouncer, which ticks on
    # a timer) run while the calls run, in proportion to time, which the
    # N-against-2N difference does not cancel (it gave nonsense, down to
    # negative counts). Timings only.
    for approach, _ in LOAD_APPROACHES:
        name = "inspect" if approach == "dynplug_inspect" else approach
        for n in SIZES:
            key = f"{approach}/{n}"
            counts["loads"][key] = per_run(["load", name, n], CALLGRIND_LOADS[n])
            print(f"  load {key}: {counts['loads'][key]:,.0f} instructions", file=sys.stderr)
    (OUT / "callgrind.json").write_text(json.dumps(counts, indent=1))
    return counts


def run_hot_reload():
    """`hot-reload`'s JSON: each side's reload latencies (ms)."""
    run(["cargo", "build", "--release", "-p", "dynplug-bench", "--bin", "hot-reload"])
    out = run(
        [TARGET / "release" / "hot-reload", str(HOT_RELOAD_ROUNDS)],
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    reload = json.loads(out)
    (OUT / "hot-reload.json").write_text(json.dumps(reload, indent=1))
    for case, r in reload["cases"].items():
        print(f"  reload {case}: median {r['median_ms']:.2f} ms, max {r['max_ms']:.2f} ms", file=sys.stderr)
    return reload


# -------------------------------------------------------------- rendering


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def signed(v):
    """`+3.0`, and `+0.0` rather than `-0.0` for a count that equals another."""
    return f"{round(v, 1) + 0.0:+.1f}"


def verdict(ok):
    return "met" if ok else "**missed**"


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB of memory"
    except (OSError, ValueError, IndexError):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "runtime", "macros"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
        f"{rustc}; dynplug at commit `{commit or 'unknown'}`"
        f"{' with uncommitted changes to runtime/ or macros/' if dirty else ''}; "
        f"{datetime.now(timezone.utc):%Y-%m-%d}"
    )


def tables(t, counts, reload=None):
    """The results section of BENCHMARKS.md, and the README's headline."""
    out = [f"Machine: {machine()}.", ""]
    checks = {}

    # Calls.
    raw = t["calls/add/raw_fn_pointer"]
    ir = counts["calls"] if counts else {}
    out += [
        "### Call overhead: `add(i32, i32) -> i32`",
        "",
        "| approach | median | vs raw fn pointer | instructions per call | vs raw |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for case, label in CALL_CASES:
        ns = t[f"calls/add/{case}"]
        row = f"| {label} | {ns:.2f} ns | {ns / raw:.2f}x |"
        if ir:
            row += f" {ir[case]:.1f} | {signed(ir[case] - ir['raw_fn_pointer'])} |"
        else:
            row += " | |"
        out.append(row)
    if ir:
        out += [
            "",
            f"Instructions per call include the benchmark loop's own "
            f"{ir['loop_only']:.1f} (a loop with no call).",
        ]
    call_ratio = t["calls/add/dynplug"] / raw
    checks["call time"] = (call_ratio, call_ratio <= CALL_RATIO_TARGET, f"≤ {CALL_RATIO_TARGET}x")
    if ir:
        extra = ir["dynplug"] - ir["raw_fn_pointer"]
        checks["call instructions"] = (extra, extra <= CALL_INSTR_TARGET + 0.05, f"≤ +{CALL_INSTR_TARGET}")

    # Returns.
    out += [
        "",
        "### Owned returns, against the same code called in-process",
        "",
        "| call | dynplug | in-process | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    rows = [("`greet(\"world\") -> String`", "returns/greet/dynplug", "returns/greet/in_process")]
    for size in ("1kib", "1mib"):
        label = size[0] + " " + size[1:].replace("kib", "KiB").replace("mib", "MiB")
        rows.append(
            (f"`bytes({label}) -> Vec<u8>`", f"returns/bytes_{size}/dynplug", f"returns/bytes_{size}/in_process")
        )
    for label, d, p in rows:
        out.append(f"| {label} | {fmt_time(t[d])} | {fmt_time(t[p])} | {t[d] / t[p]:.2f}x |")
    string_ratio = t["returns/greet/dynplug"] / t["returns/greet/in_process"]
    checks["String return"] = (string_ratio, string_ratio <= STRING_RATIO_TARGET, f"≤ {STRING_RATIO_TARGET}x")

    # Objects.
    if "objects/call/dynplug" in t:
        oc = counts.get("objects", {}) if counts else {}
        out += [
            "",
            "### Objects: a call through a returned `Box<dyn Adder>`, and making one",
            "",
            "| | dynplug | in-process | ratio | instructions (per call, per object) |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        d, p = t["objects/call/dynplug"], t["objects/call/in_process"]
        instr = (
            f"{oc['dynplug']:.1f} against {oc['in_process']:.1f} "
            f"({signed(oc['dynplug'] - oc['in_process'])})"
            if oc
            else ""
        )
        out.append(f"| `add(i32, i32) -> i32` on the object | {d:.2f} ns | {p:.2f} ns | {d / p:.2f}x | {instr} |")
        md, mp = t["objects/create_drop/dynplug"], t["objects/create_drop/in_process"]
        make_instr = (
            f"{oc['make/dynplug']:.0f} against {oc['make/in_process']:.0f} "
            f"({oc['make/dynplug'] / oc['make/in_process']:.2f}x)"
            if "make/dynplug" in oc
            else ""
        )
        out.append(
            f"| make and drop an object (`adder()`; in-process `Box::new`) | {fmt_time(md)} | "
            f"{fmt_time(mp)} | {md / mp:.2f}x | {make_instr} |"
        )
        out += [
            "",
            "stabby, the peer with stable-ABI trait objects, publishes no per-call or "
            "per-object figure that we found; its documentation says that on stable Rust "
            "since 1.78 each new (type, trait) pair's vtable is registered in a global "
            "lock-free set searched linearly.",
        ]
        if oc:
            extra = oc["dynplug"] - oc["in_process"]
            checks["object call instructions"] = (
                extra, extra <= OBJECT_INSTR_TARGET + 0.05, f"≤ +{OBJECT_INSTR_TARGET}")
        make_ratio = md / mp
        checks["object make and drop"] = (
            make_ratio, make_ratio <= OBJECT_MAKE_RATIO_TARGET, f"≤ {OBJECT_MAKE_RATIO_TARGET}x")

    # A folder of plugins.
    if "scan/dynplug_scan" in t:
        s, l = t["scan/dynplug_scan"], t["scan/libloading_open_close"]
        out += [
            "",
            "### A folder of 1,000 plugin files",
            "",
            "| approach | median | per file | vs dynplug |",
            "| --- | ---: | ---: | ---: |",
            f"| dynplug `Catalog::scan` (no code runs; what listing takes, the rest of "
            f"pre-flight at load; {os.cpu_count()} threads at most) | {fmt_time(s)} | "
            f"{fmt_time(s / 1000)} | 1x |",
            f"| libloading: `dlopen` + `dlclose` of each (initialisers run) | {fmt_time(l)} | "
            f"{fmt_time(l / 1000)} | {l / s:.2f}x slower |",
        ]
        if "scan/dynplug_scan_thorough" in t:
            th = t["scan/dynplug_scan_thorough"]
            out.insert(
                len(out) - 1,
                f"| dynplug `Catalog::scan_with(.., ScanOptions::new().thorough(true))` "
                f"(every pre-flight check) | {fmt_time(th)} | {fmt_time(th / 1000)} | "
                f"{th / s:.2f}x slower |",
            )
        speedup = l / s
        checks["scan of 1,000 plugins"] = (
            speedup, speedup >= SCAN_SPEEDUP_TARGET, f"≥ {SCAN_SPEEDUP_TARGET}x faster")

    # Hot reload.
    if "hot/hot_call/plain" in t:
        out += hot_tables(t, counts, reload, checks)

    # Loads.
    for kind, title in (
        ("warm", "library already mapped (a second `dlopen` of it maps nothing)"),
        ("cold", "each load maps and relocates its own copy of the file, then unloads it"),
    ):
        approaches = [a for a in LOAD_APPROACHES if f"load/{kind}/{a[0]}/10" in t]
        out += [
            "",
            f"### Load time, {kind}: {title}",
            "",
            "| approach | " + " | ".join(f"{n} methods" for n in SIZES) + " |",
            "| --- |" + " ---: |" * len(SIZES),
        ]
        for approach, label in approaches:
            cells = []
            for n in SIZES:
                ns = t[f"load/{kind}/{approach}/{n}"]
                base = t[f"load/{kind}/libloading/{n}"]
                cell = fmt_time(ns)
                if approach != "libloading":
                    cell += f" ({ns / base:.2f}x)"
                if kind == "warm" and counts:
                    cell += f"<br>{counts['loads'][f'{approach}/{n}'] / 1e3:,.0f}k instr."
                cells.append(cell)
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        for n in (100, 1000):
            for approach, which in (("dynplug", "loaded before"), ("dynplug_first", "read")):
                ratio = t[f"load/{kind}/{approach}/{n}"] / t[f"load/{kind}/libloading/{n}"]
                checks[f"load {n} methods ({kind}, file {which})"] = (
                    ratio, ratio <= LOAD_RATIO_TARGET, f"≤ {LOAD_RATIO_TARGET}x")
    out += ["", "Ratios in parentheses are against libloading's dlopen + N lookups.", ""]

    # Targets.
    out += ["### Targets", "", "| target | measured | |", "| --- | ---: | --- |"]
    for name, (value, ok, goal, *unit) in checks.items():
        if unit:
            shown = f"{value:.2f} {unit[0]}"
        else:
            shown = signed(value) if name.endswith("instructions") else f"{value:.2f}x"
        out.append(f"| {name} {goal} | {shown} | {verdict(ok)} |")

    headline = [
        "Measured side by side with the peers in one run "
        "([BENCHMARKS.md](BENCHMARKS.md): machine, method, all figures, and why "
        "each missed target is missed):",
        "",
        "| | dynplug | against |",
        "| --- | ---: | --- |",
        f"| a call, `add(i32, i32) -> i32` | {t['calls/add/dynplug']:.2f} ns, "
        f"{call_ratio:.2f}x"
        + (f", {signed(ir['dynplug'] - ir['raw_fn_pointer'])} instructions" if ir else "")
        + f" | a raw function pointer from libloading ({raw:.2f} ns) |",
        f"| a `String` return, `greet(&str)` | {fmt_time(t['returns/greet/dynplug'])}, "
        f"{string_ratio:.2f}x | the same function called in-process |",
    ]
    for n in (100, 1000):
        for kind in ("warm", "cold"):
            b = t[f"load/{kind}/libloading/{n}"]
            d = t[f"load/{kind}/dynplug_first/{n}"]
            again = t[f"load/{kind}/dynplug/{n}"]
            headline.append(
                f"| load, {n} methods, {kind} | {fmt_time(d)}, {d / b:.2f}x "
                f"(file loaded before: {fmt_time(again)}, {again / b:.2f}x) | "
                f"libloading's dlopen + {n} lookups ({fmt_time(b)}) |"
            )
    missed = [name for name, (_, ok, *_) in checks.items() if not ok]
    if missed:
        headline += [
            "",
            "Targets missed in this run: " + ", ".join(missed) + ". "
            "[BENCHMARKS.md](BENCHMARKS.md#targets-met-missed-and-why) profiles each one and "
            "says what was fixed and what cannot be.",
        ]
    headline += [
        "",
        "Reproduce with `python3 scripts/bench.py` (needs valgrind for the "
        "instruction counts).",
    ]
    return "\n".join(out), "\n".join(headline)


def hot_tables(t, counts, reload, checks):
    """The "Hot reload" section: a call through `Hot::get` and the reload
    latency, beside hot-lib-reloader; adds their targets to `checks`."""
    plain = t["hot/hot_call/plain"]
    out = [
        "",
        "### Hot reload: a call, `add(i32, i32) -> i32`, and a new version served",
        "",
        "| approach | median | vs plain loader |",
        "| --- | ---: | ---: |",
    ]
    for case, label in HOT_CASES:
        ns = t[f"hot/hot_call/{case}"]
        out.append(f"| {label} | {ns:.2f} ns | {ns - plain:+.2f} ns, {ns / plain:.2f}x |")
    out += [
        "",
        "No instruction counts here: the watchers' threads run while the calls do, "
        "in proportion to time, which callgrind's N-against-2N difference does not cancel.",
    ]
    extra = t["hot/hot_call/hot_get"] - plain
    checks["hot call, `hot.get()`"] = (extra, extra <= HOT_CALL_EXTRA_NS_TARGET, f"≤ +{HOT_CALL_EXTRA_NS_TARGET} ns", "ns more")
    if "hot/hot_call/hot_cache" in t:
        extra = t["hot/hot_call/hot_cache"] - plain
        checks["hot call, `HotCache::get`"] = (extra, extra <= HOT_CALL_EXTRA_NS_TARGET, f"≤ +{HOT_CALL_EXTRA_NS_TARGET} ns", "ns more")
    if reload:
        cases = reload["cases"]
        base = cases["dynplug_hot"]["median_ms"]
        out += [
            "",
            f"Reload latency: from the new file's `rename` over the watched one to the first "
            f"call the new version served, the caller calling without pause; "
            f"{reload['rounds']} rounds each, alternating two builds.",
            "",
            "| approach | median | max | vs dynplug (medians) |",
            "| --- | ---: | ---: | ---: |",
        ]
        for case, label in HOT_RELOAD_CASES:
            r = cases[case]
            if "debounce_ms" in r:
                label += f" ({r['debounce_ms']} ms)"
            out.append(
                f"| {label} | {r['median_ms']:.2f} ms | {r['max_ms']:.2f} ms | "
                f"{r['median_ms'] / base:.1f}x |"
            )
        checks["hot reload latency (median)"] = (
            base, base < HOT_RELOAD_MS_TARGET, f"< {HOT_RELOAD_MS_TARGET:g} ms", "ms")
    out += [
        "",
        "hot-lib-reloader 0.7.0 (0.8 needs Rust 1.88; its loader is the same code): each "
        "call takes a read lock and looks the symbol up (`dlsym`); a reload waits for its "
        "debounce, then for the write lock, tried once a millisecond.",
    ]
    return out


def plot(t):
    """Load time against method count, log-log, one line per approach."""
    w, h = 800, 460
    left, right, top, bottom = 80, 250, 40, 60
    short = {"dynplug": "dynplug load (again)", "dynplug_first": "dynplug load (file read)",
             "libloading": "libloading", "dlopen2": "dlopen2", "dynplug_inspect": "dynplug inspect"}
    series = []
    colours = {"dynplug": "#d62728", "dynplug_first": "#9467bd", "libloading": "#1f77b4",
               "dlopen2": "#2ca02c", "dynplug_inspect": "#ff7f0e"}
    for kind, dash in (("warm", ""), ("cold", "6,4")):
        for approach, _ in LOAD_APPROACHES:
            keys = [f"load/{kind}/{approach}/{n}" for n in SIZES]
            if all(k in t for k in keys):
                series.append((f"{short[approach]}, {kind}", colours[approach], dash,
                               [t[k] / 1e3 for k in keys]))
    values = [v for s in series for v in s[3]]
    ylo = 10 ** math.floor(math.log10(min(values)))
    yhi = 10 ** math.ceil(math.log10(max(values)))
    xlo, xhi = math.log10(SIZES[0]), math.log10(SIZES[-1])

    def x(n):
        return left + (math.log10(n) - xlo) / (xhi - xlo) * (w - left - right)

    def y(v):
        return top + (math.log10(yhi) - math.log10(v)) / (math.log10(yhi) - math.log10(ylo)) * (h - top - bottom)

    s = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">Load time against method count '
        "(median, log-log; lower is better)</text>",
    ]
    decade = ylo
    while decade <= yhi * 1.001:
        yy = y(decade)
        s.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{w - right}" y2="{yy:.1f}" stroke="#ddd"/>')
        s.append(f'<text x="{left - 8}" y="{yy + 4:.1f}" text-anchor="end">{fmt_time(decade * 1e3)}</text>')
        decade *= 10
    for n in SIZES:
        xx = x(n)
        s.append(f'<line x1="{xx:.1f}" y1="{top}" x2="{xx:.1f}" y2="{h - bottom}" stroke="#ddd"/>')
        s.append(f'<text x="{xx:.1f}" y="{h - bottom + 18}" text-anchor="middle">{n}</text>')
    s.append(f'<text x="{(left + w - right) / 2:.1f}" y="{h - 18}" text-anchor="middle">methods in the interface</text>')
    s.append(f'<rect x="{left}" y="{top}" width="{w - left - right}" height="{h - top - bottom}" '
             'fill="none" stroke="#333"/>')
    for i, (label, colour, dash, vals) in enumerate(series):
        points = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in zip(SIZES, vals))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        s.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        for n, v in zip(SIZES, vals):
            s.append(f'<circle cx="{x(n):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
        ly = top + 10 + i * 20
        lx = w - right + 15
        s.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 28}" y2="{ly}" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        s.append(f'<text x="{lx + 34}" y="{ly + 4}">{label}</text>')
    s.append("</svg>")
    PLOT.write_text("\n".join(s) + "\n")


def replace_between(path, start, end, body):
    text = path.read_text()
    i, j = text.index(start) + len(start), text.index(end)
    path.write_text(text[:i] + "\n" + body.rstrip() + "\n" + text[j:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="re-render from the last run's saved output")
    parser.add_argument("--no-callgrind", action="store_true", help="skip the instruction counts")
    args = parser.parse_args()

    if args.reuse:
        text = (OUT / "divan.txt").read_text()
        cg = OUT / "callgrind.json"
        counts = json.loads(cg.read_text()) if cg.exists() and not args.no_callgrind else None
        hr = OUT / "hot-reload.json"
        reload = json.loads(hr.read_text()) if hr.exists() else None
    else:
        text = run_benches()
        counts = None if args.no_callgrind else run_callgrind()
        reload = run_hot_reload()
    timings = parse_divan(text)
    (OUT / "medians.json").write_text(json.dumps(timings, indent=1))
    results, headline = tables(timings, counts, reload)
    replace_between(BENCHMARKS, "<!-- results:start -->", "<!-- results:end -->", results)
    replace_between(README, "<!-- bench:start -->", "<!-- bench:end -->", headline)
    plot(timings)
    print(results)


if __name__ == "__main__":
    main()
