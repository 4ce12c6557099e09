"""Benchmark: the whole pack over a large plan (about 2,000 resources), against the plan's own time.

A synthetic acme-prod with N extra services (default 60; each adds about 28 resources: its own and
its pilot-light twin) is planned once in preview mode; the pack is then evaluated over the capture
`--repeat` times through the same path `connectctl plan` uses. Record results in BENCHMARKS.md with this command:
    .venv/bin/python benchmarks/pack_bench.py [--services N] [--repeat N]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "policies")]

from connectctl.engine.analyzer import analyze, load_pack_config  # noqa: E402
from connectctl.plan import plan_stack  # noqa: E402


def synthetic_stack(services: int, folder: Path) -> Path:
    """acme-prod with `services` more services pulling the payments-api image."""
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())
    template = copy.deepcopy(doc["config"]["connect:services"][0])
    template.pop("priority", None)
    template.pop("uses", None)
    for index in range(services):
        service = copy.deepcopy(template)
        service["name"] = f"svc-{index:03d}"
        service["routes"] = {"paths": [f"/svc-{index:03d}/*"]}
        doc["config"]["connect:services"].append(service)
    path = folder / "Pulumi.acme-prod.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def main() -> None:
    """Plan once, evaluate the pack `--repeat` times, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = synthetic_stack(args.services, Path(folder))
        plan_stack(config_file=path, preview=True)  # warm-up: imports
        started = time.perf_counter()
        plan = plan_stack(config_file=path, preview=True)
        total = time.perf_counter() - started
    config = load_pack_config(ROOT / "stacks" / "policy.acme-prod.json")
    runs = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        analyze(plan.capture.resources, config)
        runs.append(time.perf_counter() - started)
    pack = statistics.median(runs)
    program = plan.timings["program"]
    print(f"resources: {len(plan.resources)}")
    print(f"plan (references + program + pack): {total:.2f} s; program alone: {program:.2f} s")
    print(f"pack over the plan: {pack:.2f} s (median of {args.repeat}); {pack / program:.0%} of the program's time")


if __name__ == "__main__":
    main()
