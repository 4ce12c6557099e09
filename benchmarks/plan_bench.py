"""Benchmark: offline plan time per stack, split into program run and policy evaluation.

Prints one row per stack and mode; `BENCHMARKS.md` records the figures with this command:
    .venv/bin/python benchmarks/plan_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "policies")]

from components.config import parse_stack_config  # noqa: E402
from connectctl.engine.analyzer import analyze, load_pack_config  # noqa: E402
from connectctl.engine.project import load_project, load_stack  # noqa: E402
from connectctl.engine.runner import main_program, run_program  # noqa: E402
from connectctl.plan import pack_config_path  # noqa: E402


def main() -> None:
    """Time each stack's plan (median of --repeat runs after one warm-up run)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    project = load_project()
    print(f"{'stack':<14} {'mode':<8} {'resources':>9} {'program s':>10} {'pack s':>8} {'ms/resource':>12}")
    for stack in project.stacks():
        stack_file = load_stack(project, stack)
        cfg = parse_stack_config(stack_file.config, stack_file.display_path)
        pack_config = load_pack_config(pack_config_path(project, stack))
        for preview in (True, False):
            runs, packs, count = [], [], 0
            for attempt in range(args.repeat + 1):
                start = time.perf_counter()
                capture = run_program(main_program(project.main), project=project.name, stack=stack,
                                      config=stack_file.program_config(), secret_keys=stack_file.secret_keys,
                                      preview=preview, region=cfg.region, account_id=cfg.tenant.account_id,
                                      root=project.root)
                middle = time.perf_counter()
                analyze(capture.resources, pack_config)
                end = time.perf_counter()
                if attempt:  # the first run pays for imports
                    runs.append(middle - start)
                    packs.append(end - middle)
                count = len(capture.resources)
            program, pack = statistics.median(runs), statistics.median(packs)
            mode = "preview" if preview else "update"
            print(f"{stack:<14} {mode:<8} {count:>9} {program:>10.3f} {pack:>8.3f} {1000 * program / count:>12.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
