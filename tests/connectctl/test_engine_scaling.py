"""The offline engine has no work that grows with the stack per registration (structural, not timed).

The per-resource cost of a plan grew with the stack (1.6 ms at 17 resources, 4-5 ms at 2,000)
because CPython ran a full garbage collection over the whole, growing heap every fixed amount of
allocation (BENCHMARKS.md). The engine now runs the program without cyclic collection and collects
what the run allocated once afterwards: these tests hold that structure, and that the collector is
left as it was found.
"""

from __future__ import annotations

import copy
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

import connectctl.plan as plan_module
from connectctl.engine import sdk as engine_sdk
from connectctl.engine.runner import ProgramError, run_program
from connectctl.plan import plan_stack

ROOT = Path(__file__).resolve().parents[2]


def with_services(count: int, folder: Path) -> Path:
    """acme-prod with `count` extra services (valid: unique names, paths and priorities)."""
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())
    template = copy.deepcopy(doc["config"]["connect:services"][0])
    template.pop("uses", None)
    for index in range(count):
        service = copy.deepcopy(template)
        service.update(name=f"svc-{index:03d}", priority=100 + index, routes={"paths": [f"/svc-{index:03d}/*"]})
        doc["config"]["connect:services"].append(service)
    path = folder / "Pulumi.acme-prod.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@contextmanager
def collections_per_run() -> Iterator[list[list[int]]]:
    """The generations collected inside each `run_program` call of `plan_stack`, one list per run."""
    runs: list[list[int]] = []
    inside = False

    def record(phase: str, info: dict[str, Any]) -> None:
        if inside and phase == "start":
            runs[-1].append(info["generation"])

    original = plan_module.run_program

    def run(*args: Any, **kwargs: Any) -> Any:
        nonlocal inside
        runs.append([])
        inside = True
        try:
            return original(*args, **kwargs)
        finally:
            inside = False

    gc.callbacks.append(record)
    plan_module.run_program = run
    try:
        yield runs
    finally:
        plan_module.run_program = original
        gc.callbacks.remove(record)


def test_one_collection_per_run_whatever_the_size(tmp_path: Path) -> None:
    """No automatic collection while the program runs, one collection of the run's objects after it:
    at 3 and at 13 services alike."""
    for extra in (0, 10):
        with collections_per_run() as runs:
            plan = plan_stack(config_file=with_services(extra, tmp_path))
        assert not plan.mandatory
        assert runs == [[2], [2]], runs  # the account stack's program, then the environment's


def collector_state() -> tuple[bool, tuple[int, int, int], int]:
    return gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()


def test_collector_state_is_restored_after_runs_and_errors() -> None:
    before = collector_state()
    plan_stack("acme-account")
    assert collector_state() == before

    def failing() -> None:
        raise pulumi.RunError("bad stack file")

    with pytest.raises(ProgramError):
        run_program(failing, project="connect", stack="x", config={}, secret_keys=[], preview=True,
                    region="us-east-1", account_id="111111111111", root=ROOT)
    assert collector_state() == before
    gc.disable()
    try:  # a caller that disabled the collector gets it back disabled
        plan_stack("acme-account")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_run_frees_the_sdk_objects_it_made() -> None:
    """Every Output of the run is gone after it: nothing of a run outlives it (no leak across the runs of a
    long process such as `fleet` or a test worker).

    The run's one collection reclaims the SDK's cycles, except, on a busy machine, the few a thread of the SDK's
    executor still holds in the instant between finishing its last call and dropping it (measured: 5 to 11 runs in
    120 with two processes competing for the CPU). Those go with the next collection, which the test waits for.
    """
    plan_stack("acme-account")
    before = {id(o) for o in gc.get_objects() if isinstance(o, pulumi.Output)}
    plan_stack("acme-account")
    left = [o for o in gc.get_objects() if isinstance(o, pulumi.Output) and id(o) not in before]
    for _ in range(20):  # wait for the executor's threads to drop their last references, then collect
        if not left:
            break
        left.clear()
        time.sleep(0.05)
        gc.collect()
        left = [o for o in gc.get_objects() if isinstance(o, pulumi.Output) and id(o) not in before]
    assert left == []


def test_the_acyclic_unknown_check_answers_as_the_sdk_and_leaves_no_cycle() -> None:
    """Same answers as the SDK's `contains_unknowns` (nested, shared and self-containing values), no garbage cycle,
    and installed only during runs."""
    from pulumi.runtime import rpc
    from pulumi.runtime.known_types import is_unknown

    sdk = rpc.contains_unknowns
    unknown = pulumi.output.UNKNOWN
    assert is_unknown(unknown)
    loop: list[Any] = [1]
    loop.append(loop)
    shared = {"a": [1, 2]}
    values: list[Any] = [None, 1, "x", unknown, [], {}, [1, [2, [3, unknown]]], {"a": {"b": [unknown]}},
                         {"a": {"b": ["c"]}}, loop, [loop, unknown], {"x": shared, "y": shared}, [shared, [shared]],
                         ("tuple", unknown), {"k": ("tuple", unknown)}]
    for value in values:
        assert engine_sdk.contains_unknowns(value) == sdk(value), value
    gc.collect()
    gc.disable()
    try:
        for value in values * 50:
            engine_sdk.contains_unknowns(value)
        assert gc.collect() == 0  # the SDK's version leaves six objects per call
    finally:
        gc.enable()
    with engine_sdk.acyclic_unknown_checks():
        assert rpc.contains_unknowns is engine_sdk.contains_unknowns
        assert pulumi.output.contains_unknowns([unknown]) is True  # the SDK's other callers go through it
    assert rpc.contains_unknowns is sdk


def test_source_positions_are_skipped_only_during_runs() -> None:
    from pulumi.runtime import resource as sdk_resource

    original = sdk_resource._get_stack_trace
    with engine_sdk.no_source_positions():
        assert list(sdk_resource._get_stack_trace().frames) == []
    assert sdk_resource._get_stack_trace is original
