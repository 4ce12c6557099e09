"""Shared by the benchmarks: synthetic stacks, CPU and wall clocks, and the SDK floor.

The machine running the benchmarks is shared, so every figure is taken twice: wall time
(`time.perf_counter`) and CPU time of the whole process, all threads (`time.process_time`; the SDK
sends each registration to the mock monitor on a worker thread). CPU time is what other processes
do not inflate.
"""

from __future__ import annotations

import copy
import functools
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "policies")]

import pulumi  # noqa: E402
from pulumi.runtime import MockResourceArgs, Mocks, settings  # noqa: E402
from pulumi.runtime.mocks import MockEngine, MockMonitor, MockSettings  # noqa: E402
from pulumi.runtime.stack import run_in_stack  # noqa: E402
from pulumi.runtime.sync_await import _sync_await  # noqa: E402

import components.config.services as stack_config  # noqa: E402
import connectctl.plan as plan_module  # noqa: E402
from connectctl.engine import runner  # noqa: E402
from connectctl.engine.capture import STACK_TYPE, CapturedResource  # noqa: E402

# Past 100 services one environment's internal load balancer exceeds AWS's 100 target groups per load
# balancer, and the stack config refuses the file (`components.config.services.MAX_SERVICES`). The benchmarks plan
# 200 services on purpose, to measure the engine's scaling: this is the only place that lifts the limit.
stack_config.MAX_SERVICES = 1_000

TEMPLATE = ROOT / "stacks" / "Pulumi.acme-prod.yaml"
FIRST_SYNTHETIC_PRIORITY = 11  # acme-prod's own services use 10 and priorities derived into 1000-49000


@dataclass(frozen=True)
class Took:
    """Wall and CPU seconds of one measured call."""

    wall: float
    cpu: float


@contextmanager
def clock(into: list[Took]) -> Iterator[None]:
    """Append the wall and process CPU time of the block to `into`."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        into.append(Took(time.perf_counter() - wall, time.process_time() - cpu))


def median(values: list[Took]) -> Took:
    """Median wall and median CPU (each on its own)."""
    return Took(statistics.median(t.wall for t in values), statistics.median(t.cpu for t in values))


def synthetic_stack(services: int, folder: Path) -> Path:
    """acme-prod with `services` services in all: its own three, then `svc-NNN` copies of them in turn.

    The copies are valid for our config model: unique names, paths or hosts and explicit listener
    rule priorities; they drop `uses` (each data-store user adds an ingress rule to the store's
    security group, whose default quota is 60 rules). Past 100 services one internal load balancer
    exceeds AWS quotas (100 target groups per ALB, not adjustable; 100 listener rules), which the
    config refuses; this module lifts that limit for the benchmarks (see above and BENCHMARKS.md).
    """
    doc = yaml.safe_load(TEMPLATE.read_text())
    own: list[dict[str, Any]] = doc["config"]["connect:services"]
    extra = []
    for index in range(max(services - len(own), 0)):
        service = copy.deepcopy(own[index % len(own)])
        service.pop("uses", None)
        name = f"svc-{index:03d}"
        service["name"] = name
        service["priority"] = FIRST_SYNTHETIC_PRIORITY + index
        routes = service["routes"]
        service["routes"] = {k: [f"/{name}/{n}/*" if k == "paths" else f"{name}-{n}.acme.internal"
                                 for n in range(len(v))] for k, v in routes.items()}
        extra.append(service)
    doc["config"]["connect:services"] = own[:services] + extra
    path = folder / "Pulumi.acme-prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@contextmanager
def phase_clock(phases: dict[str, list[Took]], gc_fix: bool = True,
                captures: list[list[CapturedResource]] | None = None) -> Iterator[None]:
    """Time `plan_stack`'s phases: every `run_program` call (the account stack's, then the environment's)
    into `phases["program"]`, the pack (`analyze`) into `phases["pack"]`; keep each run's resources
    in `captures` when given.

    With `gc_fix=False` the engine's collector policy (`runner.one_collection`) is replaced by a
    no-op, which reproduces the engine before the fix for before/after figures in the same tool.
    """
    # `plan` imports the pack's runner when it runs (a fast start): `analyze` is timed where it is found.
    from connectctl.engine import analyzer as analyzer_module

    homes = {"run_program": plan_module, "analyze": analyzer_module}
    originals = {name: getattr(home, name) for name, home in homes.items()}

    def timed(name: str, phase: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            with clock(phases.setdefault(phase, [])):
                result = originals[name](*args, **kwargs)
            if captures is not None and name == "run_program":
                captures.append(result.resources)
            return result
        return call

    plan_module.run_program = timed("run_program", "program")
    analyzer_module.analyze = timed("analyze", "pack")
    policy = runner.one_collection
    if not gc_fix:
        runner.one_collection = nullcontext  # type: ignore[assignment]
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(homes[name], name, original)
        runner.one_collection = policy


# --- The SDK floor -------------------------------------------------------------------------------


class PlainMocks(Mocks):
    """The mocks of Pulumi's unit-testing guide: echo the inputs, answer every invoke with nothing."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return f"{args.name}_id", args.inputs

    def call(self, args: Any) -> dict[str, Any]:  # type: ignore[override]
        return {}


@dataclass(frozen=True)
class Typed:
    """A pulumi-aws resource class, its input type and its properties (Pulumi name -> Python name)."""

    cls: type
    args: type
    names: dict[str, str]


@functools.cache
def typed(type_: str) -> Typed | None:
    """The typed pulumi-aws class of a type token: `aws:ec2/vpc:Vpc` -> `pulumi_aws.ec2.Vpc` and `VpcArgs`.

    None for types without one here (components, the stack reference).
    """
    if type_ == "pulumi:providers:aws":
        module, name = importlib.import_module("pulumi_aws"), "Provider"
    elif type_.startswith("aws:"):
        _, path, name = type_.split(":")
        package = path.split("/")[0]
        module = importlib.import_module("pulumi_aws" if package == "index" else f"pulumi_aws.{package}")
    else:
        return None
    cls = getattr(module, name)
    names = {getattr(v.fget, "_pulumi_name", k): k for k, v in vars(cls).items()
             if isinstance(v, property) and k not in ("id", "urn")}
    return Typed(cls, getattr(module, f"{name}Args"), names)


Spec = tuple[str, str, bool, dict[str, Any] | None]


def floor_specs(resources: list[CapturedResource]) -> list[Spec]:
    """The same resources, bare: type, name and registered inputs (as plain values).

    Bare means flat under the stack (no parents, providers, dependencies or options), plain values
    only (no Outputs between resources), no transformations, no capture.
    """
    return [(r.type, r.name, r.custom, dict(r.inputs) if r.custom else None)
            for r in resources if r.type != STACK_TYPE]


def _register(type_: str, name: str, inputs: dict[str, Any]) -> None:
    """What a pulumi-aws constructor hands the SDK: its input type holding every input and output property
    (outputs None), default options merged; no source position (the engine skips it too)."""
    found = typed(type_)
    if found is None:
        pulumi.CustomResource(type_, name, inputs)
        return
    props: Any = object.__new__(found.args)
    for pulumi_name, python_name in found.names.items():
        props.__dict__[python_name] = inputs.get(pulumi_name)
    for pulumi_name, value in inputs.items():
        if pulumi_name not in found.names:
            props.__dict__[pulumi_name] = value
    opts = pulumi.ResourceOptions.merge(importlib.import_module("pulumi_aws._utilities")
                                        .get_resource_opts_defaults(), None)
    resource: Any = object.__new__(found.cls)
    if type_.startswith("pulumi:providers:"):
        pulumi.ProviderResource.__init__(resource, "aws", name, props, opts)
    else:
        pulumi.CustomResource.__init__(resource, type_, name, props, opts)


def run_floor(specs: list[Spec], collector: Callable[[], AbstractContextManager[None]] | None = None) -> None:
    """Register `specs` under Pulumi's own `MockMonitor` and `PlainMocks`, inside `run_in_stack`.

    `collector` wraps the run like the engine's (`runner.one_collection`), so the floor and the
    program are measured under the same garbage-collector policy; None runs with CPython's default.
    """
    monitor = MockMonitor(PlainMocks())
    settings.ROOT.set(None)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    settings.configure(MockSettings(
        monitor=monitor, monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        engine=MockEngine(None), project="connect", stack="floor", dry_run=True,
        organization="organization", callbacks=None,
    ))

    def program() -> None:
        for type_, name, custom, inputs in specs:
            if custom and inputs is not None:
                _register(type_, name, inputs)
            else:
                pulumi.ComponentResource(type_, name)

    with collector() if collector else nullcontext():
        try:
            _sync_await(run_in_stack(program))
        finally:
            settings.ROOT.set(None)
