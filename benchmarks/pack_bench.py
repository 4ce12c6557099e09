"""Benchmark: the whole pack over a large plan, against the plan's own time.

A synthetic acme-prod with N services (default 200, about 6,800 resources; `common.synthetic_stack`)
is planned once in preview mode, in CPU and wall time; the pack is then evaluated over the capture
`--repeat` times through the path `connectctl plan` uses (`analyze`). Record results in
BENCHMARKS.md with this command:
    .venv/bin/python benchmarks/pack_bench.py [--services N] [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import ROOT, Took, clock, median, synthetic_stack

from connectctl.engine.analyzer import analyze, load_pack_config
from connectctl.plan import plan_stack


def main() -> None:
    """Plan once, evaluate the pack `--repeat` times, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    plan_stack("acme-prod")  # warm-up: imports
    with tempfile.TemporaryDirectory() as folder:
        path = synthetic_stack(args.services, Path(folder))
        plans: list[Took] = []
        with clock(plans):
            plan = plan_stack(config_file=path, preview=True)
    config = load_pack_config(ROOT / "stacks" / "policy.acme-prod.json")
    runs: list[Took] = []
    for _ in range(args.repeat):
        with clock(runs):
            analyze(plan.capture.resources, config)
    pack, whole = median(runs), plans[0]
    print(f"resources: {len(plan.resources)} ({args.services} services); CPU s (wall s)")
    print(f"plan (references + program + pack): {whole.cpu:.2f} ({whole.wall:.2f})")
    print(f"pack over the plan, median of {args.repeat}: {pack.cpu:.2f} ({pack.wall:.2f}); "
          f"{pack.cpu / whole.cpu:.1%} of the plan's CPU time")


if __name__ == "__main__":
    main()
