#!/usr/bin/env python3
"""A finished scan's time against its physical schedule, from scan.json and manifest.jsonl.

The physical schedule of position k (k >= 1) is what the hardware needs between two captures:
the previous exposure (exposure + readout of the slowest camera), the slowest node's move to k
as measured, the settle time (no move and no settling where k commands what k-1 did), rounded up to whole periods of the frame grid (a capture can only take a grid
frame). Its measured counterpart is the period between the two capture instants T(k-1), T(k)
that the manifest records. What is left, actual - physical, is the cost of coordination beyond
the schedule. Both designs (negotiated per position, planned ahead) are measured the same way.

Usage: schedule_figures.py SCAN_DIR EXPOSURE_US SETTLE_MS [--row LABEL] [--step-ms MS]
Prints a short report (with --step-ms: beside the median of a `srun` step per position), or
with --row one markdown table row:
| LABEL | positions | wall | physical | wall/physical | coordination median | p99 | fence |
"""
import json
import math
import os
import statistics
import sys


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, -(-len(s) * p // 100) - 1))]


def figures(scan_dir, exposure_us, settle_ms):
    with open(os.path.join(scan_dir, "scan.json")) as f:
        scan = json.load(f)
    period = scan["frame_grid"]["period_ns"]
    readout = scan["readout_ns"]
    T, move, commanded, fence = {}, {}, {}, []
    with open(os.path.join(scan_dir, "manifest.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") == "position":
                T[rec["position"]] = rec["T"]
                commanded[rec["position"]] = rec.get("commanded")
                fences = [t["fence_ms"] for t in rec["timings"].values() if "fence_ms" in t]
                if fences:
                    fence.append(max(fences))
                move[rec["position"]] = max((t["move_ms"] for t in rec["timings"].values()),
                                            default=0.0)
    order = sorted(T)
    actual, physical = [], []
    for a, b in zip(order, order[1:]):
        if b != a + 1:
            continue
        # A position that commands what the one before did needs no motion and no settling,
        # whatever a zero-step move measured on a loaded machine.
        moving = move[b] if commanded[b] != commanded[a] else 0.0
        need = exposure_us * 1000 + readout + (moving + settle_ms) * 1e6 if moving else \
            exposure_us * 1000 + readout
        physical.append(math.ceil(need / period) * period / 1e6)
        actual.append((T[b] - T[a]) / 1e6)
    if not actual:
        raise SystemExit("%s: fewer than two consecutive positions in the manifest" % scan_dir)
    coordination = [a - p for a, p in zip(actual, physical)]
    return {
        "positions": len(actual),
        "period_ms": period / 1e6,
        "readout_ms": readout / 1e6,
        "wall_ms": sum(actual),
        "physical_ms": sum(physical),
        "ratio": sum(actual) / sum(physical),
        "coord_median": statistics.median(coordination),
        "coord_p99": pct(coordination, 99),
        "period_median": statistics.median(actual),
        "physical_median": statistics.median(physical),
        # The slowest node's time in each position's fence (manifests that record it).
        "fence_median": statistics.median(fence) if fence else None,
        "fence_p99": pct(fence, 99) if fence else None,
    }


def main():
    args = sys.argv[1:]
    label = step_ms = None
    if "--row" in args:
        i = args.index("--row")
        label = args[i + 1]
        del args[i:i + 2]
    if "--step-ms" in args:
        i = args.index("--step-ms")
        step_ms = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        raise SystemExit(__doc__)
    f = figures(args[0], float(args[1]), float(args[2]))
    fence = ("%.2f / %.2f ms" % (f["fence_median"], f["fence_p99"])
             if f["fence_median"] is not None else "not recorded")
    if label is not None:
        print("| %s | %d | %.1f ms | %.1f ms | %.3f | %.2f ms | %.2f ms | %s |"
              % (label, f["positions"], f["wall_ms"], f["physical_ms"], f["ratio"],
                 f["coord_median"], f["coord_p99"], fence))
        return
    print("grid period %.3f ms, readout %.3f ms" % (f["period_ms"], f["readout_ms"]))
    print("| what (%d position periods) | value |" % f["positions"])
    print("| --- | ---: |")
    print("| scan wall time, first to last capture instant | %.1f ms |" % f["wall_ms"])
    print("| physical schedule (exposure + readout + move + settle, to the grid) | %.1f ms |"
          % f["physical_ms"])
    print("| wall / physical | %.3f |" % f["ratio"])
    print("| period per position, median (physical median) | %.2f ms (%.2f ms) |"
          % (f["period_median"], f["physical_median"]))
    print("| coordination beyond the schedule per position, median / p99 | %.2f / %.2f ms |"
          % (f["coord_median"], f["coord_p99"]))
    print("| time in the position's fence, slowest node, median / p99 | %s |" % fence)
    if step_ms is not None:
        print("| a `srun` step per position (median), beside it | %.1f ms |" % step_ms)
        print("| srun step / lockstep period per position | %.1f |" % (step_ms / f["period_median"]))
        print("| srun step / lockstep coordination per position | %s |"
              % ("%.0f" % (step_ms / f["coord_median"]) if f["coord_median"] > 0 else "n/a (<= 0)"))


if __name__ == "__main__":
    main()
