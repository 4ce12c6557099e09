"""Benchmark: the offline plan of a stack against the SDK floor, in the same process, interleaved.

The floor registers the same resources bare: same types and names, through the typed pulumi-aws
input types with the registered inputs as plain values (what each constructor hands the SDK), flat,
no options, no transformations, no capture, under Pulumi's own `MockMonitor` and echoing mocks.
That is what the SDK and pulumi-aws alone cost for these resources.
Plan and floor alternate `--repeat` times after one warm-up of each; medians of CPU and wall.
The floor runs under the engine's collector policy (`runner.one_collection`) and the plain SDK; a
second floor also under the engine's two SDK replacements (`runner.no_source_positions`,
`runner.acyclic_unknown_checks`): plan / that floor is our own overhead over the SDK as we run it.
Record results in BENCHMARKS.md with this command:
    .venv/bin/python benchmarks/floor_bench.py [--stack acme-prod | --services N] [--repeat 7]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import Took, clock, floor_specs, median, phase_clock, run_floor, synthetic_stack

from connectctl.engine.capture import CapturedResource
from connectctl.engine.runner import acyclic_unknown_checks, no_source_positions, one_collection
from connectctl.plan import plan_stack


def main() -> None:
    """Alternate plan and floor, print medians and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="acme-prod")
    parser.add_argument("--services", type=int, help="a synthetic acme-prod with N services instead (scaling_bench's)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.services is not None:
            args.config_file = synthetic_stack(args.services, Path(folder))
            args.stack = None
        else:
            args.config_file = None
        measure(args)


@contextmanager
def engine_policy() -> Iterator[None]:
    """Everything `run_program` changes about the SDK for a run, without its capture, mocks or transformation."""
    with one_collection(), no_source_positions(), acyclic_unknown_checks():
        yield


def measure(args: argparse.Namespace) -> None:
    """The measurements proper (the synthetic stack file, if any, exists meanwhile)."""
    plans: list[Took] = []
    programs: list[Took] = []
    floors: list[Took] = []
    env_floors: list[Took] = []
    default_gc_floors: list[Took] = []
    engine_floors: list[Took] = []
    captures: list[list[CapturedResource]] = []
    with phase_clock({}, captures=captures):  # also the warm-up: imports
        plan_stack(args.stack, config_file=args.config_file)
    specs = [spec for capture in captures for spec in floor_specs(capture)]  # the account stack's, then ours
    env_specs = floor_specs(captures[-1])
    run_floor(specs, one_collection)
    for _ in range(args.repeat):
        phases: dict[str, list[Took]] = {}
        with clock(plans), phase_clock(phases):
            plan = plan_stack(args.stack, config_file=args.config_file)
        programs.append(phases["program"][-1])  # the environment's program ([0] is the account stack's)
        with clock(floors):
            run_floor(specs, one_collection)
        with clock(env_floors):
            run_floor(env_specs, one_collection)
        with clock(default_gc_floors):
            run_floor(specs)
        with clock(engine_floors):
            run_floor(specs, engine_policy)
    name = args.stack or f"acme-prod with {args.services} services"
    print(f"{name}: {len(plan.resources)} resources ({len(env_specs)} registered besides the stack, "
          f"{len(specs)} with the account stack's that the plan reads); median of {args.repeat}, CPU s (wall s)")
    rows = (("plan (references + program + pack)", plans, len(specs)), ("SDK floor of the plan", floors, len(specs)),
            ("program (the environment)", programs, len(env_specs)),
            ("SDK floor of the environment", env_floors, len(env_specs)),
            ("SDK floor of the plan, default GC", default_gc_floors, len(specs)),
            ("SDK floor of the plan, engine's SDK", engine_floors, len(specs)))
    for label, runs, count in rows:
        took = median(runs)
        print(f"  {label:<36} {took.cpu:7.3f} ({took.wall:7.3f})  {1000 * took.cpu / count:6.2f} ms/resource CPU")
    for label, mine, floor in (("program / floor", programs, env_floors), ("plan / floor", plans, floors),
                               ("plan / floor under the engine's SDK", plans, engine_floors)):
        a, b = median(mine), median(floor)
        print(f"  {label:<36} {a.cpu / b.cpu:.2f} CPU ({a.wall / b.wall:.2f} wall)")

if __name__ == "__main__":
    main()
