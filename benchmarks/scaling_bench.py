"""Benchmark: plans of synthetic acme-prod stacks with 10, 50 and 200 services (no quadratic paths).

Each size is planned in its own fresh process (`--repeat` processes per size, medians), after one
warm-up plan of acme-prod in that process (imports), so peak memory (`ru_maxrss`) is per size.
Figures: resources, the whole plan, the environment's program and the pack, in CPU and wall
seconds; CPU ms per resource; peak RSS; the pack's share of the plan. Then the issue's limits.
`--no-gc-fix` runs the engine without its collector policy (`runner.one_collection`): the engine
as it was, for before/after figures. Record results in BENCHMARKS.md with this command:
    .venv/bin/python benchmarks/scaling_bench.py [--sizes 10 50 200] [--repeat 3] [--no-gc-fix]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import ROOT, Took, clock, phase_clock, synthetic_stack

from connectctl.plan import plan_stack

PLAN_SECONDS, GROWTH, PEAK_MIB, PACK_SHARE = 20.0, 1.2, 1024, 0.10


def one(services: int, gc_fix: bool) -> dict[str, Any]:
    """Plan one synthetic stack in this process (after a warm-up plan) and return its figures."""
    plan_stack("acme-prod")
    with tempfile.TemporaryDirectory() as folder:
        path = synthetic_stack(services, Path(folder))
        total: list[Took] = []
        phases: dict[str, list[Took]] = {}
        with clock(total), phase_clock(phases, gc_fix=gc_fix):
            plan = plan_stack(config_file=path)
    program, pack = phases["program"][-1], phases["pack"][-1]
    return {"services": services, "resources": len(plan.resources), "mandatory": len(plan.mandatory),
            "plan": [total[0].wall, total[0].cpu], "program": [program.wall, program.cpu],
            "pack": [pack.wall, pack.cpu],
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    """Run every size in fresh processes, print the table and the limits."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-gc-fix", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process: one size, JSON out
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, gc_fix=not args.no_gc_fix)))
        return
    rows: dict[int, dict[str, Any]] = {}
    for size in args.sizes:
        runs = []
        for _ in range(args.repeat):
            command = [sys.executable, __file__, "--one", str(size)] + (["--no-gc-fix"] if args.no_gc_fix else [])
            out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
        rows[size] = {k: runs[0][k] for k in ("services", "resources", "mandatory")}
        for key in ("plan", "program", "pack"):
            rows[size][key] = [statistics.median(r[key][i] for r in runs) for i in (0, 1)]
        rows[size]["peak_mib"] = max(r["peak_mib"] for r in runs)
    print(f"median of {args.repeat} fresh processes per size{' (engine WITHOUT its GC policy)' * args.no_gc_fix}; "
          "CPU s (wall s)")
    print(f"{'services':>8} {'resources':>9} {'plan':>16} {'program':>16} {'pack':>14} {'plan ms/res':>11} "
          f"{'prog ms/res':>11} {'pack share':>10} {'peak MiB':>8}")
    for r in rows.values():
        n = r["resources"]
        print(f"{r['services']:>8} {n:>9} {r['plan'][1]:>7.2f} ({r['plan'][0]:>6.2f}) "
              f"{r['program'][1]:>7.2f} ({r['program'][0]:>6.2f}) {r['pack'][1]:>5.2f} ({r['pack'][0]:>5.2f}) "
              f"{1000 * r['plan'][1] / n:>11.2f} {1000 * r['program'][1] / n:>11.2f} "
              f"{r['pack'][1] / r['plan'][1]:>10.0%} {r['peak_mib']:>8.0f}")
    small, large = rows[min(rows)], rows[max(rows)]

    def per_resource(row: dict[str, Any], key: str) -> float:
        return float(row[key][1]) / int(row["resources"])

    checks = [
        (f"{large['services']}-service plan under {PLAN_SECONDS:.0f} s", f"{large['plan'][1]:.1f} s CPU, "
         f"{large['plan'][0]:.1f} s wall", large["plan"][1] < PLAN_SECONDS and large["plan"][0] < PLAN_SECONDS),
        *[(f"{key} cost per resource at {large['services']} within {GROWTH}x of {small['services']}",
           f"{per_resource(large, key) / per_resource(small, key):.2f}x",
           per_resource(large, key) <= GROWTH * per_resource(small, key)) for key in ("plan", "program")],
        (f"peak memory under {PEAK_MIB} MiB", f"{max(r['peak_mib'] for r in rows.values()):.0f} MiB",
         all(r["peak_mib"] < PEAK_MIB for r in rows.values())),
        (f"pack under {PACK_SHARE:.0%} of the {large['services']}-service plan",
         f"{large['pack'][1] / large['plan'][1]:.1%} CPU", large["pack"][1] < PACK_SHARE * large["plan"][1]),
    ]
    for label, value, ok in checks:
        print(f"  [{'met' if ok else 'NOT MET'}] {label}: {value}")


if __name__ == "__main__":
    main()
