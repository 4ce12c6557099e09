"""Benchmark: offline plan time per stack, split into reference resolution, program run and pack.

Prints one row per stack and mode; `BENCHMARKS.md` records the figures with this command:
    .venv/bin/python benchmarks/plan_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "policies")]

from connectctl.engine.project import load_project  # noqa: E402
from connectctl.plan import plan_stack  # noqa: E402


def main() -> None:
    """Time each stack's plan (median of --repeat runs after one warm-up run)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    project = load_project()
    print(f"{'stack':<15} {'mode':<8} {'resources':>9} {'refs s':>7} {'program s':>10} {'pack s':>7} "
          f"{'ms/resource':>12} {'pack share':>10}")
    for stack in project.stacks():
        for preview in (True, False):
            runs = []
            for attempt in range(args.repeat + 1):
                plan = plan_stack(stack, preview=preview, project=project)
                if attempt:  # the first run pays for imports
                    runs.append(plan.timings)
            count = len(plan.resources)
            refs, program, pack = (statistics.median(r[k] for r in runs) for k in ("references", "program", "pack"))
            mode = "preview" if preview else "update"
            print(f"{stack:<15} {mode:<8} {count:>9} {refs:>7.3f} {program:>10.3f} {pack:>7.3f} "
                  f"{1000 * program / count:>12.2f} {pack / program:>9.0%}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
