"""Benchmark: offline plan time per stack, split into reference resolution, program run and pack.

Prints one row per stack and mode (median of --repeat runs after one warm-up run), CPU seconds of
the process and, in brackets, wall seconds. `BENCHMARKS.md` records the figures with this command:
    .venv/bin/python benchmarks/plan_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import resource

from common import Took, clock, median, phase_clock

from connectctl.engine.project import load_project
from connectctl.plan import plan_stack


def main() -> None:
    """Time each stack's plan and its phases."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    project = load_project()
    print(f"{'stack':<15} {'mode':<8} {'resources':>9} {'plan s':>15} {'program s':>15} {'pack s':>15} "
          f"{'ms/resource':>11} {'pack share':>10}")
    for stack in project.stacks():
        for preview in (True, False):
            plan_stack(stack, preview=preview, project=project)  # warm-up: imports
            totals: list[Took] = []
            programs: list[Took] = []
            phases: dict[str, list[Took]] = {}
            for _ in range(args.repeat):
                with clock(totals), phase_clock(phases):
                    plan = plan_stack(stack, preview=preview, project=project)
                programs.append(phases["program"][-1])  # the stack's own (environments run their account's first)
            total, program, pack = median(totals), median(programs), median(phases["pack"])
            count = len(plan.resources)
            mode = "preview" if preview else "update"
            print(f"{stack:<15} {mode:<8} {count:>9} {total.cpu:>6.3f} ({total.wall:>6.3f}) "
                  f"{program.cpu:>6.3f} ({program.wall:>6.3f}) {pack.cpu:>6.3f} ({pack.wall:>6.3f}) "
                  f"{1000 * total.cpu / count:>11.2f} {pack.cpu / total.cpu:>10.0%}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB; CPU s (wall s)")


if __name__ == "__main__":
    main()
