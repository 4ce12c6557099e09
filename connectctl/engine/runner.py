"""Run a Pulumi program offline, the way the Python language host runs it, against our mocks.

The program runs inside `run_in_stack` (as under `pulumi up`): the root stack resource is
registered, stack exports become its registered outputs, and the run waits for every outstanding
registration before the capture is read.
"""

from __future__ import annotations

import gc
import os
import runpy
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectctl.engine.capture import STACK_TYPE, CapturedResource
from connectctl.engine.sdk import (  # the SDK internals a run relies on, listed there
    acyclic_unknown_checks,
    end_run,
    lazy_provider_packages,
    no_source_positions,
    start_run,
    sync_await,
)

# The Pulumi SDK (0.1-0.2 s to import) is imported by the functions that run a program, not here: commands that
# only name `ProgramError` or read a `Capture` (and `connectctl --help`) start without it.


class ProgramError(Exception):
    """The program ended the run with an error (e.g. `pulumi.RunError` for a bad stack file).

    `declared` lists the URNs registered before the error, so tests can prove a bad stack file
    declares nothing.
    """

    def __init__(self, message: str, declared: list[str]) -> None:
        super().__init__(message)
        self.declared = declared


@dataclass
class Capture:
    """Everything a run registered, in registration order, plus the stack's outputs."""

    project: str
    stack: str
    preview: bool
    resources: list[CapturedResource]
    outputs: dict[str, object]
    invokes: list[str]


@contextmanager
def _program_context(root: Path) -> Iterator[None]:
    """cwd and sys.path as the language host sets them: the project directory first."""
    old_cwd, old_path = os.getcwd(), list(sys.path)
    os.chdir(root)
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path


_PROCESS_ENDS_AFTER_COMMAND = False


def process_ends_after_command() -> None:
    """No collection after a run from now on, and the collector left off: for a process that ends once its command
    is done.

    Why: `connectctl`'s process ends without tearing the interpreter down (`connectctl.cli.main`), so the garbage
    of its runs is returned to the system at exit anyway, while a collection after a run (or the automatic one it
    would otherwise trigger later) walks everything the run left alive, pulumi-aws's classes imported during the
    process's first run included: 0.24 s of the 1.9 s CPU of `connectctl plan acme-prod`, to free 3 MiB of cycles
    (peak RSS 169 against 172 MiB; the SDK's objects die by reference counting). Only processes that plan are
    affected (the collector goes off at their first run); in-process callers (tests, benchmarks) never call this.
    """
    global _PROCESS_ENDS_AFTER_COMMAND
    _PROCESS_ENDS_AFTER_COMMAND = True


@contextmanager
def one_collection() -> Iterator[None]:
    """No cyclic garbage collection while the program runs; one collection of what the run allocated after it.

    Why: the SDK keeps every resource, `Output` and future alive until the run ends and creates
    thousands of asyncio tasks that are still pending when young collections run, so CPython 3.11
    promotes them and, every ~11 generation-1 collections (a fixed amount of allocation), runs a
    full collection over a heap that grows with the stack: quadratic (5.3 ms per resource at 6,833
    resources against 2.5 at 563; BENCHMARKS.md). Objects that existed before the run are frozen,
    so the one collection afterwards costs what this run allocated, however large the process (the
    test suite keeps many plans alive), and frees all of the run's cycles. The caller's collector
    state is restored. In a process that ends after its command, the collection is skipped
    (`process_ends_after_command`).
    """
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    gc.disable()
    if not frozen:  # a caller's own freeze is left alone (unfreeze would release it too)
        gc.freeze()
    try:
        yield
    finally:
        if not _PROCESS_ENDS_AFTER_COMMAND:
            gc.collect()
        if not frozen:
            gc.unfreeze()
        if enabled and not _PROCESS_ENDS_AFTER_COMMAND:
            gc.enable()


def run_program(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    preview: bool,
    region: str,
    account_id: str,
    root: Path | None = None,
    references: dict[str, dict[str, Any]] | None = None,
    blackout: str | None = None,
) -> Capture:
    """Run `program` under AWS-shaped mocks and return what it registered.

    `references` answers `pulumi.StackReference` reads: fully qualified stack name -> its outputs.
    `blackout` marks everything one region answers (see `AwsMocks`), to prove the others do without it.
    """
    lazy_provider_packages()  # before the program's first `import pulumi_aws`: classes on first use (sdk.py, 11)
    import pulumi
    from pulumi.runtime.stack import run_in_stack

    from connectctl.engine.mocks import AwsMocks
    from connectctl.engine.monitor import CaptureMonitor

    mocks = AwsMocks(region=region, account_id=account_id, preview=preview, references=references,
                     blackout=blackout)
    monitor = CaptureMonitor(mocks)
    start_run(monitor, project=project, stack=stack, preview=preview, config=config, secret_keys=secret_keys)
    try:
        with one_collection(), no_source_positions(), acyclic_unknown_checks(), _program_context(root or Path.cwd()):
            try:
                sync_await(run_in_stack(program))
            finally:
                end_run()  # the root stack holds every resource: released before collecting
    except pulumi.RunError as exc:
        declared = [urn for urn, r in monitor.captured.items() if r.type != STACK_TYPE]
        raise ProgramError(str(exc), declared) from None
    finally:
        end_run()
    resources = list(monitor.captured.values())
    stack_outputs: dict[str, object] = next(
        (r.outputs for r in resources if r.type == STACK_TYPE), {}
    )
    return Capture(project, stack, preview, resources, stack_outputs, list(mocks.calls))


def main_program(path: Path) -> Callable[[], None]:
    """The project's `__main__.py`, run as `__main__` like the language host does."""

    def program() -> None:
        runpy.run_path(str(path), run_name="__main__")

    return program
