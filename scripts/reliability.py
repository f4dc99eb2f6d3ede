#!/usr/bin/env python3
"""Runs dynplug's fuzz campaign and writes its figures into docs/RELIABILITY.md.

    python3 scripts/reliability.py                  # 50,000 mutants (a few minutes)
    python3 scripts/reliability.py --mutants 5000   # a shorter campaign
    python3 scripts/reliability.py --reuse          # re-render the last run

1. `cargo test -p dynplug-tests --test fuzz` with DYNPLUG_FUZZ_MUTANTS,
   DYNPLUG_FUZZ_SEED and DYNPLUG_FUZZ_SUMMARY set: the test
   (tests/tests/fuzz.rs) writes the campaign's figures as JSON to
   target/dynplug-fuzz/summary.json, and its output to
   target/dynplug-fuzz/output.txt (the date, commit and machine of the run
   go to target/dynplug-fuzz/meta.json).
2. Writes the tables between the `reliability` markers of
   docs/RELIABILITY.md: per region, how many mutants loaded and answered
   like the original, how many were refused with an `Error` (and which),
   and how many broke the host (crashed, exited, hung, panicked, answered
   wrong: all must be 0).

The tables are written even when the campaign finds failures (they are
listed below them); the script then exits with status 1.

Standard library only.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
OUT = TARGET / "dynplug-fuzz"
SUMMARY = OUT / "summary.json"
OUTPUT = OUT / "output.txt"
META = OUT / "meta.json"
DOC = ROOT / "docs" / "RELIABILITY.md"
BEGIN = "<!-- reliability:begin -->"
END = "<!-- reliability:end -->"

DEFAULT_MUTANTS = 50_000
DEFAULT_SEED = "0x5eed0010"
TEST = "every_mutant_loads_and_answers_or_is_refused"

# The failure kinds, as the test names them, with their column heads.
FAILURES = [
    ("crashed", "crashed (signal)"),
    ("exited", "exited (ld.so)"),
    ("hung", "hung"),
    ("panicked", "panicked"),
    ("wrong answer", "wrong answer"),
    ("unknown", "unknown"),
]


def run_campaign(mutants, seed):
    OUT.mkdir(parents=True, exist_ok=True)
    if SUMMARY.exists():
        SUMMARY.unlink()
    env = dict(os.environ)
    env.update(
        DYNPLUG_FUZZ_MUTANTS=str(mutants),
        DYNPLUG_FUZZ_SEED=seed,
        DYNPLUG_FUZZ_SUMMARY=str(SUMMARY),
    )
    cmd = ["cargo", "test", "-p", "dynplug-tests", "--test", "fuzz", "--",
           TEST, "--exact", "--nocapture"]
    print("+", f"DYNPLUG_FUZZ_MUTANTS={mutants} DYNPLUG_FUZZ_SEED={seed}",
          " ".join(cmd), file=sys.stderr, flush=True)
    with open(OUTPUT, "w") as output:
        status = subprocess.run(cmd, cwd=ROOT, env=env, stdout=output,
                                stderr=subprocess.STDOUT).returncode
    if not SUMMARY.exists():
        sys.exit(f"the campaign wrote no summary; see {OUTPUT}")
    return status


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fmt(n):
    return f"{n:,}"


def table(head, rows, align):
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render(summary, meta):
    regions = summary["regions"]
    total = {k: sum(r[k] for r in regions)
             for k in ("mutants", "answered", "inspect_ok", "inspect_err")}
    refused = lambda r: sum(r["refused"].values())
    failed = lambda r, kind: r["failed"].get(kind, 0)
    kinds = [(k, h) for k, h in FAILURES
             if k != "unknown" or any(failed(r, k) for r in regions)]

    out = [
        f"Seed `{summary['seed']:#x}`, {fmt(total['mutants'])} mutants of "
        f"`hello-plugin` ({fmt(summary['file_bytes'])} bytes), "
        f"{summary['seconds']:.0f} s; {meta['date']}, commit `{meta['commit']}`, "
        f"{meta['machine']}.",
        "",
    ]
    head = ["region", "bytes", "mutants", "loaded and answered", "refused (`Error`)"]
    head += [h for _, h in kinds] + ["left a file"]
    rows = []
    for r in regions:
        bytes_ = fmt(r["bytes"]) if r["bytes"] else "–"
        row = [r["name"], bytes_, fmt(r["mutants"]), fmt(r["answered"]), fmt(refused(r))]
        row += [fmt(failed(r, k)) for k, _ in kinds] + [fmt(r.get("left_files", 0))]
        rows.append(row)
    row = ["**all**", "", f"**{fmt(total['mutants'])}**", f"**{fmt(total['answered'])}**",
           f"**{fmt(sum(refused(r) for r in regions))}**"]
    row += [f"**{fmt(sum(failed(r, k) for r in regions))}**" for k, _ in kinds]
    row += [f"**{fmt(sum(r.get('left_files', 0) for r in regions))}**"]
    rows.append(row)
    out.append(table(head, rows, "lrrrrr" + "r" * len(kinds)))
    out.append("")

    variants = sorted({v for r in regions for v in r["refused"]},
                      key=lambda v: -sum(r["refused"].get(v, 0) for r in regions))
    out.append("Refusals by `Error` variant, and what `inspect` said of the same mutants:")
    out.append("")
    head = ["region"] + [f"`{v}`" for v in variants] + ["`inspect` Ok", "`inspect` Err"]
    rows = []
    for r in regions:
        rows.append([r["name"]] + [fmt(r["refused"].get(v, 0)) for v in variants]
                    + [fmt(r["inspect_ok"]), fmt(r["inspect_err"])])
    out.append(table(head, rows, "l" + "r" * (len(variants) + 2)))

    left = summary.get("left_files", [])
    if left:
        out += ["", "Mutants whose code left a file in the worker's folder:", ""]
        for f in left[:40]:
            out.append(f"- mutant {f['mutant']}, {f['region']}, `{f['field']}`, "
                       f"offset {f.get('offset', 0):#x} bit {f.get('bit', 0)}: {f['outcome']}")

    failures = summary["failures"]
    if failures:
        out += ["", f"**{len(failures)} mutants broke the host** (the first 40):", ""]
        for f in failures[:40]:
            where = (f"offset {f['offset']:#x} bit {f['bit']}" if "offset" in f
                     else f"cut at {f['cut']:#x}")
            detail = re.sub(r"\s+", " ", f["detail"])[:200]
            out.append(f"- mutant {f['mutant']}, {f['region']}, `{f['field']}`, "
                       f"{where}: {f['outcome']}: {detail}")
    return "\n".join(out)


def replace_between(path, text):
    doc = path.read_text()
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    path.write_text(doc[:start] + "\n" + text + "\n" + doc[end:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mutants", type=int, default=DEFAULT_MUTANTS)
    parser.add_argument("--seed", default=DEFAULT_SEED)
    parser.add_argument("--reuse", action="store_true",
                        help="render target/dynplug-fuzz/summary.json again")
    args = parser.parse_args()

    if args.reuse:
        status = 0
        meta = json.loads(META.read_text())
    else:
        status = run_campaign(args.mutants, args.seed)
        meta = {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "commit": git_commit(),
            "machine": f"{platform.machine()} Linux {platform.release()}, "
                       f"{' '.join(platform.libc_ver())}, {os.cpu_count()} cores",
        }
        META.write_text(json.dumps(meta))
    summary = json.loads(SUMMARY.read_text())
    replace_between(DOC, render(summary, meta))
    failures = len(summary["failures"])
    print(f"{DOC.relative_to(ROOT)}: {sum(r['mutants'] for r in summary['regions'])} mutants, "
          f"{failures} failures", file=sys.stderr)
    if status != 0 or failures:
        print(f"the campaign failed; its output is in {OUTPUT}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
