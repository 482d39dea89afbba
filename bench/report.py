#!/usr/bin/env python3
"""Turns the raw wrk outputs of bench/run.sh into one table.

Usage: report.py RAW_DIR TARGETS WORKLOADS [NOTES_FILE]
  RAW_DIR    holds <workload>_c<conc>_<target>.txt, one wrk --latency output each
  TARGETS    comma list, e.g. direct,nginx,tollgate (columns in this order)
  WORKLOADS  comma list of workload:conc, e.g. chat:1,chat:16,chat-stream:256 (rows in this order)
  NOTES_FILE optional text printed under the table (e.g. Tollgate's RSS)
Beside each wrk output, RAW_DIR may hold <workload>_c<conc>_<target>.cpu ("TICKS CLK_TCK": the
target process's CPU time during that run) and callgrind_<target>_<stream>.txt ("INSTRUCTIONS N":
instructions counted over N requests); they add the CPU-per-request columns and the instruction
table.
Standard library only.
"""
import os
import re
import sys

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def to_ms(value):
    """'105.23ms' / '850.00us' / '1.02s' / '2.00m' -> milliseconds (float)."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not m:
        return None
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse_wrk(path):
    """Returns a dict with rps, p50, p99 (ms), requests, non2xx, errors (str), or None if missing."""
    if not os.path.exists(path):
        return None
    text = open(path, encoding="utf-8", errors="replace").read()
    r = {"rps": None, "p50": None, "p99": None, "requests": None, "non2xx": 0, "errors": ""}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        r["rps"] = float(m.group(1))
    # Latency Distribution block: "     50%  105.23ms"
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(r"^\s+" + pct + r"%\s+(\S+)", text, re.M)
        if m:
            r[key] = to_ms(m.group(1))
    m = re.search(r"^\s+(\d+) requests in", text, re.M)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors:\s+(.*)", text)
    if m:
        counts = dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+)", m.group(1)))
        if any(counts.values()):
            r["errors"] = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    return r


def cpu_ms_per_request(path, requests):
    """CPU milliseconds per request from a .cpu file and wrk's request count, or None."""
    if not requests or not os.path.exists(path):
        return None
    ticks, hz = open(path).read().split()
    return int(ticks) * 1000.0 / int(hz) / requests


def instructions(raw_dir, target, stream):
    """(instructions per request, requests counted) from a callgrind summary file, or None."""
    path = os.path.join(raw_dir, f"callgrind_{target}_{stream}.txt")
    if not os.path.exists(path):
        return None
    total, n = open(path).read().split()
    return int(total) / int(n), int(n)


def fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def main():
    raw_dir, targets = sys.argv[1], sys.argv[2].split(",")
    workloads = [w for w in sys.argv[3].split(",") if w]
    notes = open(sys.argv[4]).read() if len(sys.argv) > 4 and os.path.exists(sys.argv[4]) else ""

    header = ["workload", "conc"]
    for t in targets:
        header += [f"{t} req/s", f"{t} p50ms", f"{t} p99ms"]
    extra = [t for t in ("nginx", "tollgate", "tollgate2") if t in targets]
    if "direct" in targets:
        header += [f"+p50 {t} ms" for t in extra]
    header += [f"{t} cpu ms" for t in extra]
    if "nginx" in targets and "tollgate" in targets:
        header += ["tg/nginx req/s", "tg/nginx p50", "tg/nginx cpu"]
    if "tollgate" in targets and "tollgate2" in targets:
        header += ["tg2-tg p50 ms"]

    rows, flags = [], []
    for w in workloads:
        name, conc = w.split(":")
        res = {t: parse_wrk(os.path.join(raw_dir, f"{name}_c{conc}_{t}.txt")) for t in targets}
        row = [name, conc]
        for t in targets:
            r = res[t]
            if r is None:
                row += ["-", "-", "-"]
                flags.append(f"{t} {name} c={conc}: no result (wrk did not run or failed)")
                continue
            bad = r["non2xx"] > 0 or r["errors"]
            row += [fmt(r["rps"], 1) + ("!" if bad else ""), fmt(r["p50"]), fmt(r["p99"])]
            if r["non2xx"]:
                flags.append(f"{t} {name} c={conc}: {r['non2xx']} non-2xx responses out of {r['requests']}")
            if r["errors"]:
                flags.append(f"{t} {name} c={conc}: socket errors: {r['errors']}")
        d = res.get("direct")
        if "direct" in targets:
            for t in extra:
                r = res[t]
                ok = d and r and d["p50"] is not None and r["p50"] is not None
                row.append(f"{r['p50'] - d['p50']:+.2f}" if ok else "-")
        cpu = {}
        for t in extra:
            r = res[t]
            cpu[t] = cpu_ms_per_request(os.path.join(raw_dir, f"{name}_c{conc}_{t}.cpu"), r and r["requests"])
            row.append(fmt(cpu[t], 3))
        if "nginx" in targets and "tollgate" in targets:
            n, g = res["nginx"], res["tollgate"]
            ok_rps = n and g and n["rps"] and g["rps"] is not None
            ok_p50 = n and g and n["p50"] and g["p50"] is not None
            row.append(f"{g['rps'] / n['rps']:.3f}" if ok_rps else "-")
            row.append(f"{g['p50'] / n['p50']:.3f}" if ok_p50 else "-")
            row.append(f"{cpu['tollgate'] / cpu['nginx']:.1f}" if cpu["tollgate"] and cpu["nginx"] else "-")
        if "tollgate" in targets and "tollgate2" in targets:
            g, g2 = res["tollgate"], res["tollgate2"]
            ok = g and g2 and g["p50"] is not None and g2["p50"] is not None
            row.append(f"{g2['p50'] - g['p50']:+.2f}" if ok else "-")
        rows.append(row)

    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(  # noqa: E731
        str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(cells)
    )
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()
    counted = {(t, st): instructions(raw_dir, t, st) for t in extra for st in ("nostream", "stream")}
    if any(counted.values()):
        print("Instructions per request (valgrind --tool=callgrind, fixed request count; repeatable):")
        for st, label in (("nostream", "chat, non-streamed"), ("stream", "chat, streamed (20 chunks)")):
            cells = []
            for t in extra:
                c = counted[(t, st)]
                cells.append(f"{t} {c[0]:,.0f} (over {c[1]})" if c else f"{t} -")
            n, g = counted.get(("nginx", st)), counted.get(("tollgate", st))
            ratio = f"  tg/nginx {g[0] / n[0]:.1f}x" if n and g else ""
            print(f"  {label}: " + ", ".join(cells) + ratio)
        floor = instructions(raw_dir, "tollgate", "floor")
        if floor:
            print(f"  Tollgate's floor (GET /health/live: HTTP front and middleware, no model call): {floor[0]:,.0f} (over {floor[1]})")
        bare = instructions(raw_dir, "fake", "floor")
        fake_chat, fake_stream = instructions(raw_dir, "fake", "nostream"), instructions(raw_dir, "fake", "stream")
        if bare:
            print(f"  Hummingbird 2's floor (the fake Ollama, a bare Hummingbird app, GET /api/version): {bare[0]:,.0f}")
        if fake_chat or fake_stream:
            # The fake answers the same calls Tollgate forwards: Hummingbird, JSON in and out, no gateway work.
            cells = [f"non-streamed {c[0]:,.0f}" for c in [fake_chat] if c] + [f"streamed {c[0]:,.0f}" for c in [fake_stream] if c]
            print("  the fake Ollama answering /api/chat itself: " + ", ".join(cells))
        print()
    if flags:
        print("FLAGGED (a '!' after req/s marks these cells; their req/s counts failed responses too):")
        for f in flags:
            print("  " + f)
    else:
        print("No non-2xx responses and no socket errors.")
    if notes:
        print()
        print(notes.rstrip())
    # Exit 3 if anything was flagged, so run.sh can say so.
    return 3 if flags else 0


if __name__ == "__main__":
    sys.exit(main())
