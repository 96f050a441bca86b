"""The load benchmark's figures from locust's CSV files (bench/load/run.sh).

    summary.py cpu PGID      one JSON line: CPU seconds of the server's process group, of the
                             whole machine (busy and total), and the time
    summary.py report DIR    the summary the lead pastes into docs/benchmarks.md
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
TARGET_RPS, TARGET_P99_MS, TARGET_PUBLIC_RPS = 300, 300, 1000


def cpu(pgid: int) -> dict:
    server = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        # fields[2] is the process group; 11..14: utime, stime, cutime, cstime (reaped workers).
        if int(fields[2]) == pgid:
            server += sum(int(f) for f in fields[11:15])
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in first]
    idle = ticks[3] + ticks[4]
    return {"time": time.time(), "server": server / TICK, "busy": (sum(ticks) - idle) / TICK,
            "total": sum(ticks) / TICK}


def _seconds(text: str) -> float:
    m = re.fullmatch(r"(\d+)m([\d.]+)s", text)
    return int(m.group(1)) * 60 + float(m.group(2)) if m else 0.0


def _locust_cpu(path: Path) -> float:
    """bash's ``times``: its second line is the children's user and system time."""
    lines = path.read_text().splitlines()
    if len(lines) < 2:
        return 0.0
    return sum(_seconds(t) for t in lines[1].split())


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _fmt_row(r: dict) -> str:
    return (f"{r['Name'][:52]:<52} {int(r['Request Count']):>8} {int(r['Failure Count']):>6} "
            f"{float(r['Requests/s']):>8.1f} {r['50%']:>6} {r['95%']:>6} {r['99%']:>6} "
            f"{r['Max Response Time'].split('.')[0]:>7}")


def report(out: Path) -> tuple[str, bool]:
    """The summary of the runs in ``out``, and whether every run gave figures."""
    lines = []
    complete = True
    ncpu = os.cpu_count() or 1
    for name, title in (("mix", "the opening-day mix"), ("public", "the public list alone")):
        stats = out / f"{name}_stats.csv"
        if not stats.exists():
            # locust itself failed (a crash at start-up, a bad option): say so, with its words.
            said = out / f"{name}.out"
            text = said.read_text(errors="replace") if said.exists() else ""
            tail = text.strip().splitlines()[-5:]
            lines.append(f"== {title}: NO FIGURES — locust gave none; the end of {said}:")
            lines.extend(f"   {line}" for line in tail)
            lines.append("")
            complete = False
            continue
        rows = _rows(stats)
        agg = next(r for r in rows if r["Name"] == "Aggregated")
        before = json.loads((out / f"{name}.cpu-before").read_text())
        after = json.loads((out / f"{name}.cpu-after").read_text())
        wall = after["time"] - before["time"]
        locust = _locust_cpu(out / f"{name}.times")
        server = after["server"] - before["server"]
        busy = after["busy"] - before["busy"]
        total = after["total"] - before["total"]
        rps = float(agg["Requests/s"])
        p99 = float(agg["99%"])
        fails = int(agg["Failure Count"])
        lines.append(f"== {title}: {int(agg['Request Count']):,} requests in {wall:.0f} s "
                     "(after the ramp)")
        lines.append(
            f"   {rps:.1f} requests/s, p50 {agg['50%']} ms, p95 {agg['95%']} ms, "
            f"p99 {agg['99%']} ms, max {agg['Max Response Time'].split('.')[0]} ms, "
            f"failures {fails}"
        )
        lines.append(
            f"   CPU of {ncpu} cores over the run: locust {locust / wall / ncpu:.0%} (with the "
            f"ramp), server (nginx, gunicorn, worker, scheduler) {server / wall / ncpu:.0%}, "
            f"whole machine {busy / total:.0%} (the rest: PostgreSQL, Redis, anything else)"
        )
        served = int(agg["Request Count"])
        if served:
            lines.append(f"   server CPU per request: {server / served * 1000:.1f} ms")
        if name == "mix":
            ok = rps >= TARGET_RPS and p99 < TARGET_P99_MS and fails == 0
            lines.append(f"   target ≥{TARGET_RPS}/s, p99 <{TARGET_P99_MS} ms, no failure: "
                         f"{'met' if ok else 'NOT met'}")
        else:
            ok = rps >= TARGET_PUBLIC_RPS and fails == 0
            lines.append(f"   target ≥{TARGET_PUBLIC_RPS}/s: {'met' if ok else 'NOT met'}")
        lines.append(f"   {'endpoint':<52} {'requests':>8} {'fails':>6} {'req/s':>8} "
                     f"{'p50':>6} {'p95':>6} {'p99':>6} {'max':>7}")
        for r in sorted((r for r in rows if r["Name"] != "Aggregated"),
                        key=lambda r: -int(r["Request Count"])):
            lines.append("   " + _fmt_row(r))
        failures = out / f"{name}_failures.csv"
        if failures.exists():
            for r in _rows(failures)[:10]:
                lines.append(f"   failure ×{r['Occurrences']}: {r['Method']} {r['Name']}: "
                             f"{r['Error'][:160]}")
        lines.append("")
    return "\n".join(lines), complete


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "cpu":
        print(json.dumps(cpu(int(argv[1]))))
        return 0
    if len(argv) == 2 and argv[0] == "report":
        text, complete = report(Path(argv[1]))
        print(text)
        return 0 if complete else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
