"""Run `connectctl` in-process on fuzzed files and classify what happened.

Process start-up (Python, pulumi, grpc) costs ~2 s per run, so the bulk goes through Typer's test
runner on the real `connectctl.cli.app`, the click command built once (Typer rebuilds it on every
invoke, ~50 ms). A sample runs through real processes to prove the two paths print the same
(`test_stack_files.test_in_process_runs_match_real_processes`).

The program itself is the expensive step of a valid plan (seconds), so the bulk replaces
`connectctl.plan.run_program` with a tripwire: reaching it means the loader and every validation
accepted the file (outcome "valid"), and a file the loader refuses must never reach it, which is
the strongest form of "nothing declared". A sample of valid files then runs the real program.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.testing

from connectctl import cli
from connectctl import plan as plan_module
from connectctl.engine import analyzer as analyzer_module
from connectctl.engine.capture import SECRET_SIG, SECRET_SIG_KEY
from connectctl.engine.runner import Capture

STAND_IN = "offline_secret_"  # every offline secret value starts so (connectctl.engine.project.stand_in)
MAX_STDERR = 64_000  # one huge value must not flood the report (messages show values cut to ~80 characters)


class Tripwire(BaseException):
    """A signal, not an error: a BaseException, so no `except Exception` on the way can swallow it."""


class ReachedProgram(Tripwire):
    """Raised instead of running the program: the file passed every check before it."""


class ReachedPack(Tripwire):
    """Raised instead of running the policy pack: the state or preview file was read in full."""


@dataclass
class Run:
    """One CLI invocation: exit code, both streams, its CPU seconds, and how far it got."""

    args: list[str]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    crash: BaseException | None = None
    reached: str = ""  # "program" or "pack" when a tripwire fired

    @property
    def output(self) -> str:
        """Both streams, for searches."""
        return self.stdout + self.stderr


class InProcessCli:
    """`connectctl` through Typer's runner with the click command built once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        command = typer.main.get_command(cli.app)
        monkeypatch.setattr(typer.testing, "_get_command", lambda app: command)
        self.runner = typer.testing.CliRunner()

    def __call__(self, *args: str) -> Run:
        started = time.process_time()  # CPU time: a busy machine must not make a fast case look slow
        try:
            result = self.runner.invoke(cli.app, list(args))
        except Tripwire as signal:  # the runner only catches Exception: a tripwire ends the run here
            reached = "program" if isinstance(signal, ReachedProgram) else "pack"
            return Run(list(args), -1, "", "", time.process_time() - started, reached=reached)
        run = Run(list(args), result.exit_code, result.stdout, result.stderr, time.process_time() - started)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            run.crash = result.exception
        return run


@contextmanager
def tripwires(monkeypatch: pytest.MonkeyPatch, *, program: bool = True, pack: bool = False) -> Iterator[None]:
    """Replace the program run and/or the pack run with signals (undone on exit)."""
    with monkeypatch.context() as patch:
        if program:
            def no_program(*args: Any, **kwargs: Any) -> Capture:
                raise ReachedProgram
            patch.setattr(plan_module, "run_program", no_program)
        if pack:
            def no_pack(*args: Any, **kwargs: Any) -> list[Any]:
                raise ReachedPack
            # `check` imports the pack's runner when it runs (a fast start): the tripwire sits where it is found
            patch.setattr(analyzer_module, "analyze", no_pack)
        yield


FIELD_PATH = re.compile(r"(?<![\w:])(connect|aws):[\w-]+")


def location(path: Path) -> re.Pattern[str]:
    """`FILE:LINE:COLUMN: YAML error` or `FILE:LINE:COLUMN: cannot be read`: a file-level location."""
    return re.compile(rf"{re.escape(str(path))}:\d+:\d+: (YAML error|cannot be read)")


FILE_LEVEL = ("a stack file is a mapping", "unknown top-level key", "'config' must be a mapping")


def printed_problems(run: Run, secret_printed: str | None) -> list[str]:
    """What no run may print: a traceback, a secret (`secret_printed` says which, None when none was), too much
    on stderr."""
    problems: list[str] = []
    if "Traceback" in run.output:
        problems.append("a traceback was printed")
    if secret_printed:
        problems.append(secret_printed)
    if len(run.stderr) > MAX_STDERR:
        problems.append(f"{len(run.stderr)} characters on stderr")
    return problems


def exit_2_problems(run: Run, path: Path) -> list[str]:
    """What an exit 2 must not do: print on stdout, or say anything but `error: ...` naming the file."""
    problems: list[str] = []
    if run.stdout:
        problems.append("exit 2 printed on stdout")
    if not run.stderr.startswith("error: ") or str(path) not in run.stderr:
        problems.append("exit 2 without 'error: <file>'")
    return problems


def classify_stack_run(run: Run, path: Path) -> tuple[str, list[str]]:
    """(outcome, problems) of one stack-file run; outcome is valid, yaml, file, field or broken."""
    if run.crash is not None:
        return "broken", [f"crashed: {type(run.crash).__name__}: {str(run.crash)[:300]}"]
    problems = printed_problems(run, "a secret's value was printed" if STAND_IN in run.output else None)
    if run.reached == "program":
        return "valid", problems
    if run.exit_code != 2:
        return "broken", [*problems, f"exit {run.exit_code} without running the program"]
    problems += exit_2_problems(run, path)
    if location(path).search(run.stderr):
        return "yaml", problems
    if any(text in run.stderr for text in FILE_LEVEL):
        return "file", problems
    if FIELD_PATH.search(run.stderr):
        return "field", problems
    return "broken", [*problems, "exit 2 without a field path or a file location"]


@dataclass(frozen=True)
class FuzzCase:
    """One fuzzed file: its place in the corpus, how it was made, and its bytes (each corpus adds the command line
    around it)."""

    index: int
    kind: str
    data: bytes

    @property
    def name(self) -> str:
        """`0042-cut:state-pretty`: enough to rebuild and rerun one case."""
        return f"{self.index:04d}-{self.kind}"


def run_cases(cases: list[Any], write: Callable[[Any], Path], invoke: Callable[[Any, Path], Run],
              classify: Callable[[Any, Run, Path], tuple[str, list[str]]],
              ) -> tuple[dict[str, int], list[str], float]:
    """Run every case; returns counts per outcome, one line per problem, and the slowest run's seconds."""
    counts: dict[str, int] = {}
    problems: list[str] = []
    slowest = 0.0
    for case in cases:
        path = write(case)
        run = invoke(case, path)
        outcome, found = classify(case, run, path)
        counts[outcome] = counts.get(outcome, 0) + 1
        slowest = max(slowest, run.seconds)
        problems += [f"{case.name} ({' '.join(run.args[:1])}): {p}; stderr: {run.stderr[:300]!r}" for p in found]
        if outcome == "broken" and not found:
            problems.append(f"{case.name}: broken")
    return counts, problems, slowest


def wrapped_secrets(data: bytes, fallback: frozenset[str]) -> frozenset[str]:
    """Texts the file holds only inside secret wrappers (`{sig: secret, value|plaintext: ...}`): a report
    must never print them. A file that is not JSON (cut short, garbage) gets `fallback`."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return fallback
    secret: set[str] = set()
    plain: set[str] = set()

    def walk(value: Any, inside: bool) -> None:
        if isinstance(value, dict):
            wrapper = value.get(SECRET_SIG_KEY) == SECRET_SIG
            for key, item in value.items():
                walk(item, inside or (wrapper and key in ("value", "plaintext")))
        elif isinstance(value, list):
            for item in value:
                walk(item, inside)
        elif isinstance(value, str):
            (secret if inside else plain).add(value)
            if inside and value.startswith('"'):  # `--show-secrets` plaintext is JSON text
                try:
                    decoded = json.loads(value)
                except (ValueError, RecursionError):
                    return
                if isinstance(decoded, str):
                    secret.add(decoded)

    try:
        walk(doc, False)
    except RecursionError:
        return fallback
    return frozenset(text for text in secret - plain if len(text) >= 8)


JSON_PROBLEMS = ("not valid JSON", "the file is empty", "cannot be read", "nested too deeply", "more than 4300 digits")


def classify_check_run(run: Run, path: Path, secrets: frozenset[str]) -> tuple[str, list[str]]:
    """(outcome, problems) of one `check --state/--preview-json` run: read, checked, json, shape or broken."""
    if run.crash is not None:
        return "broken", [f"crashed: {type(run.crash).__name__}: {str(run.crash)[:300]}"]
    leaked = [s for s in secrets if s in run.output]
    problems = printed_problems(run, f"a secret was printed: {leaked[0][:12]}..." if leaked else None)
    if run.reached == "pack":
        return "read", problems
    if run.exit_code in (0, 1):
        return "checked", problems
    if run.exit_code != 2:
        return "broken", [*problems, f"exit {run.exit_code}"]
    problems += exit_2_problems(run, path)
    if any(text in run.stderr for text in JSON_PROBLEMS):
        return "json", problems
    if "expected" in run.stderr or "belong to stack" in run.stderr:
        return "shape", problems
    return "broken", [*problems, "exit 2 without saying what was expected"]
