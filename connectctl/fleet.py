"""`connectctl fleet preview|up|refresh`: many client stacks through the Pulumi Automation API at once.

Stacks run in a thread pool bounded by `--parallel`; each one is its own `pulumi` process, so one
failure never stops the others. A client's account stack always finishes before that client's
environment stacks start, because environments read it through a `StackReference`; with `up`, an
environment whose account stack did not succeed is skipped rather than deployed against stale
registry outputs. The Pulumi side is behind `StackFactory`, so tests run the whole command without
the CLI.
"""

from __future__ import annotations

import fnmatch
import json
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from components.config import PRODUCTION_ENVIRONMENTS
from connectctl.engine.project import PROJECT_ROOT, Project, ProjectError, load_project
from connectctl.errors import EXIT_FOUND, EXIT_OK, fail

EXIT_FAILED, EXIT_INTERRUPTED = EXIT_FOUND, 130  # a usage error: EXIT_INVALID (2), from `fail`
MAX_PARALLEL = 32
DEFAULT_ORGANIZATION = "organization"  # `tenant.organization`'s default, the DIY backends' org
CHANGE_COLUMNS: dict[str, tuple[str, ...]] = {
    # The engine's summary counts logical operations: a replacement is one `replace`, and an import creates.
    "create": ("create", "import"),
    "update": ("update",),
    "replace": ("replace",),
    "delete": ("delete",),
    "same": ("same",),
}
TAIL_LINES = 12
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # only `connect:tenant` is read: the C parser will do
_COMMAND_ERROR = re.compile(r"\s*code: -?\d+\n stdout: (?P<stdout>.*)\n stderr: (?P<stderr>.*)", re.DOTALL)

OnEvent = Callable[[Any], object]


class Command(StrEnum):
    """The fleet operations; each maps to the `Stack` method of the same name."""

    preview = "preview"
    up = "up"
    refresh = "refresh"


class Format(StrEnum):
    """Output formats of the summary."""

    text = "text"
    json = "json"


class FleetUsageError(Exception):
    """Bad usage found before any stack runs (exit 2); the message is user-facing."""


class FleetStack(Protocol):
    """The part of `pulumi.automation.Stack` the fleet uses (keyword subsets of the real signatures)."""

    def preview(self, *, policy_packs: list[str] | None = ..., policy_pack_configs: list[str] | None = ...,
                color: str | None = ..., on_event: OnEvent | None = ...,
                suppress_progress: bool | None = ...) -> object: ...

    def up(self, *, policy_packs: list[str] | None = ..., policy_pack_configs: list[str] | None = ...,
           color: str | None = ..., on_event: OnEvent | None = ..., suppress_progress: bool | None = ...,
           message: str | None = ...) -> object: ...

    def refresh(self, *, color: str | None = ..., on_event: OnEvent | None = ...,
                suppress_progress: bool | None = ..., message: str | None = ...) -> object: ...


@dataclass(frozen=True)
class Target:
    """One selected stack, classified from its stack file (the same `connect:tenant` the program reads)."""

    name: str
    qualified: str
    client: str
    account: bool
    production: bool
    after: tuple[str, ...]  # selected account stacks that must finish first
    policy_pack: Path
    # The pack config the stack is judged with, as `connectctl plan` judges it (connectctl/packconfig.py: the
    # stack's own settings, `policy.<stack>.json` merged over them). None for a stack file that does not validate
    # (its program refuses it before the pack judges anything): then `policy.<stack>.json` as it is, if any.
    pack_config: dict[str, Any] | None = None
    pack_config_file: Path | None = None
    pack_config_problem: str | None = None  # `policy.<stack>.json` contradicts the stack file: the stack fails

    @property
    def wave(self) -> int:
        """1: runs at once; 2: waits for its client's account stack."""
        return 2 if self.after else 1


StackFactory = Callable[[Target], FleetStack]


@dataclass
class Outcome:
    """What happened to one stack; filled by its worker thread, read after the pool is done."""

    target: Target
    state: str = "queued"  # queued, running, ok, failed, skipped, cancelled
    changes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANGE_COLUMNS, 0))
    change_summary: dict[str, int] = field(default_factory=dict)
    findings: list[dict[str, str]] = field(default_factory=list)
    duration: float | None = None
    error: str | None = None

    @property
    def mandatory(self) -> int:
        return sum(1 for f in self.findings if f["level"] == "mandatory")

    @property
    def advisory(self) -> int:
        return len(self.findings) - self.mandatory

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def as_json(self) -> dict[str, Any]:
        t = self.target
        return {
            "stack": t.name, "qualifiedName": t.qualified, "client": t.client,
            "kind": "account" if t.account else "environment", "production": t.production, "wave": t.wave,
            "after": list(t.after), "result": self.state, "changes": self.changes,
            "changeSummary": self.change_summary,
            "violations": {"mandatory": self.mandatory, "advisory": self.advisory}, "findings": self.findings,
            "durationSeconds": None if self.duration is None else round(self.duration, 2), "error": self.error,
        }


# --- selection and ordering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    client: str
    account: bool
    production: bool  # by its own environment
    organization: str


def _facts(project: Project, stack: str) -> _Facts:
    """The stack file's `connect:tenant`, read leniently (the run itself reports a broken file): names decide
    the kind and client when the file does not, and an unreadable file counts as production (fail safe)."""
    tenant: Any = None
    try:
        data = yaml.load(project.stack_file(stack).read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        config = data.get("config") if isinstance(data, dict) else None
        tenant = config.get(project.full_key("tenant")) if isinstance(config, dict) else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        pass
    if not isinstance(tenant, dict):
        tenant = {}
    account = tenant.get("scope") == "account" or stack.endswith("-account")
    client = tenant.get("client") or (stack.removesuffix("-account") if account else stack.rsplit("-", 1)[0])
    production = not tenant or (not account and tenant.get("environment") in PRODUCTION_ENVIRONMENTS)
    return _Facts(str(client), account, production, str(tenant.get("organization") or DEFAULT_ORGANIZATION))


def _pack_config(project: Project, stack: str) -> tuple[dict[str, Any] | None, str | None]:
    """The stack's effective pack config, or why there is none.

    Why: `pulumi preview --policy-pack-config` reads one file, and a stack without `policy.<stack>.json` (or with a
    file that lacks a setting) would be judged by the pack's defaults there, and by its own settings in
    `connectctl plan`: another verdict, silently (a production stack losing its production checks). The fleet
    hands the engine the same settings `connectctl plan` uses, written to a file of the run's own.
    """
    from connectctl.engine.findings import PackConfigError
    from connectctl.engine.project import load_stack
    from connectctl.errors import input_errors
    from connectctl.plan import pack_config_for, validate

    try:
        stack_file = load_stack(project, stack)
        config, _ = pack_config_for(project, stack_file, validate(stack_file))
    except PackConfigError as exc:
        return None, f"pack config: {exc}"
    except input_errors():
        return None, None
    return config, None


def select(project: Project, patterns: list[str], org: str | None = None, *, pack_configs: bool = True) -> list[Target]:
    """Stacks matching any glob, in run order: account stacks first, each environment after its account stack.

    Stacks run as `<org>/<project>/<stack>`, the org being `--org` or else the stack file's
    `tenant.organization`: the one its environments' `StackReference` reads. An account stack counts as
    production when any environment of its client is: production pulls its images. `pack_configs`: work out each
    stack's effective pack config (`preview` and `up` hand it to the engine; `refresh` and `assure` do not).
    """
    known = project.stacks()
    if not known:
        raise FleetUsageError(f"no stack files in {project.stack_config_dir}")
    chosen: set[str] = set()
    for pattern in patterns:
        matched = fnmatch.filter(known, pattern)
        if not matched:
            raise FleetUsageError(f"no stack matches {pattern!r}; stacks: {', '.join(known)}")
        chosen.update(matched)
    facts = {stack: _facts(project, stack) for stack in known}
    production_clients = {f.client for f in facts.values() if f.production and not f.account}
    targets = []
    for stack in sorted(chosen):
        f = facts[stack]
        after = () if f.account else tuple(
            s for s in sorted(chosen) if facts[s].account and facts[s].client == f.client)
        pack_config, problem = _pack_config(project, stack) if pack_configs else (None, None)
        committed = project.stack_config_dir / f"policy.{stack}.json"
        targets.append(Target(
            name=stack, qualified=f"{org or f.organization}/{project.name}/{stack}", client=f.client,
            account=f.account, production=f.production or (f.account and f.client in production_clients),
            after=after, policy_pack=project.root / "policies", pack_config=pack_config,
            pack_config_file=committed if committed.is_file() else None, pack_config_problem=problem,
        ))
    return sorted(targets, key=lambda t: (t.wave, not t.account, t.name))


# --- the real factory ---------------------------------------------------------------------------------------


def automation_factory(project: Project, command: Command) -> StackFactory:
    """Stacks of the project directory through `LocalWorkspace` (the CLI reads `stackConfigDir` itself).

    The `pulumi` CLI is checked once here, so a missing CLI is one usage error and not N failures. `refresh`
    selects existing stacks only: refreshing a stack that was never deployed would create an empty one.
    Opening runs `pulumi stack select`, which rewrites the project's workspace file: one open at a time (the
    runs themselves pass `--stack` and go in parallel).
    """
    import pulumi.automation as auto

    try:
        pulumi_command = auto.PulumiCommand()
    except FileNotFoundError:
        raise FleetUsageError("the pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/) "
                              "or run `connectctl plan` for the offline plan") from None
    except auto.InvalidVersionError as exc:
        raise FleetUsageError(f"unsupported pulumi CLI: {exc}") from None

    opening = threading.Lock()

    def open_stack(target: Target) -> FleetStack:
        opts = auto.LocalWorkspaceOptions(pulumi_command=pulumi_command)
        with opening:
            if command is Command.refresh:
                return auto.select_stack(target.qualified, work_dir=str(project.root), opts=opts)
            return auto.create_or_select_stack(target.qualified, work_dir=str(project.root), opts=opts)

    return open_stack


# --- running ------------------------------------------------------------------------------------------------


class Reporter(Protocol):
    """Live progress: called from worker threads and the scheduler."""

    def show(self, outcome: Outcome, detail: str = "") -> None: ...


class _Tally:
    """Engine events of one run: policy findings (deduplicated), resource steps and the summary fallback."""

    def __init__(self, outcome: Outcome, reporter: Reporter) -> None:
        self.outcome, self.reporter = outcome, reporter
        self.seen: set[tuple[str, ...]] = set()
        self.steps = 0
        self.summary: dict[str, int] | None = None

    def __call__(self, event: Any) -> None:
        policy = getattr(event, "policy_event", None)
        if policy is not None and policy.enforcement_level != "disabled":
            level = "mandatory" if policy.enforcement_level == "mandatory" else "advisory"
            finding = {"policy": policy.policy_name, "pack": policy.policy_pack_name, "level": level,
                       "urn": policy.resource_urn or "", "message": policy.message}
            key = tuple(finding.values())
            if key not in self.seen:
                self.seen.add(key)
                self.outcome.findings.append(finding)
        summary = getattr(event, "summary_event", None)
        if summary is not None:
            self.summary = _plain(summary.resource_changes)
        if getattr(event, "resource_pre_event", None) is not None:
            self.steps += 1
            self.reporter.show(self.outcome, f"{self.steps} step(s)")


def _plain(changes: Any) -> dict[str, int]:
    """An `OpMap` with `OpType` or plain string keys (the engine's JSON gives strings) as {"create": 3, ...}."""
    return {str(getattr(op, "value", op)): int(count) for op, count in (changes or {}).items()}


def _result_changes(result: object) -> dict[str, int] | None:
    """`PreviewResult.change_summary`, or `UpResult`/`RefreshResult.summary.resource_changes`."""
    if getattr(result, "change_summary", None) is not None:
        return _plain(getattr(result, "change_summary", None))
    summary = getattr(result, "summary", None)
    changes = getattr(summary, "resource_changes", None)
    return None if changes is None else _plain(changes)


def _tail(exc: BaseException) -> str:
    """The last lines of an error: for a `CommandError`, the end of the CLI's stdout and stderr."""
    from pulumi.automation import CommandError

    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, CommandError):  # str() is "\n code: N\n stdout: ...\n stderr: ..."
        parts = _COMMAND_ERROR.fullmatch(str(exc))
        text = f"{parts['stdout']}\n{parts['stderr']}" if parts else str(exc)
    lines = [line.rstrip() for line in _ANSI.sub("", text).splitlines() if line.strip()]
    return "\n".join(lines[-TAIL_LINES:]) or type(exc).__name__


def _run_one(command: Command, target: Target, factory: StackFactory, outcome: Outcome, reporter: Reporter) -> None:
    """One stack, start to end; never raises, so a failing stack is only its own outcome."""
    started = time.monotonic()
    outcome.state = "running"
    reporter.show(outcome)
    tally = _Tally(outcome, reporter)
    common: dict[str, Any] = {"color": "never", "on_event": tally, "suppress_progress": True}
    if target.pack_config_problem is not None and command is not Command.refresh:
        outcome.error = target.pack_config_problem
    else:
        try:
            with tempfile.TemporaryDirectory(prefix="connect-pack-config-") as scratch:
                _run_stack(command, target, factory, _pack_arguments(command, target, Path(scratch)), common,
                           outcome, tally)
        except Exception as exc:  # a stack's failure is reported, never propagated to the others
            outcome.error = _tail(exc)
    outcome.duration = time.monotonic() - started
    outcome.state = "ok" if outcome.error is None and not outcome.mandatory else "failed"
    reporter.show(outcome)


def _pack_arguments(command: Command, target: Target, scratch: Path) -> dict[str, Any]:
    """The policy pack and the pack config file the engine is given: the stack's effective pack config, written
    into `scratch` (the run's own directory) as the file `pulumi` reads."""
    if command is Command.refresh:  # `Stack.refresh` takes no policy pack
        return {}
    packs: dict[str, Any] = {"policy_packs": [str(target.policy_pack)]}
    if target.pack_config is not None:
        config = scratch / f"policy.{target.name}.json"
        config.write_text(json.dumps(target.pack_config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        packs["policy_pack_configs"] = [str(config)]
    elif target.pack_config_file is not None:
        packs["policy_pack_configs"] = [str(target.pack_config_file)]
    return packs


def _run_stack(command: Command, target: Target, factory: StackFactory, packs: dict[str, Any],
               common: dict[str, Any], outcome: Outcome, tally: _Tally) -> None:
    """The Automation API call for one stack; its change counts into `outcome`."""
    stack = factory(target)
    result: object
    if command is Command.preview:
        result = stack.preview(**packs, **common)
    elif command is Command.up:
        result = stack.up(**packs, **common, message="connectctl fleet up")
    else:
        result = stack.refresh(**common, message="connectctl fleet refresh")
    summary = _result_changes(result)
    outcome.change_summary = summary if summary is not None else tally.summary or {}
    outcome.changes = {column: sum(outcome.change_summary.get(op, 0) for op in ops)
                       for column, ops in CHANGE_COLUMNS.items()}


def run_fleet(command: Command, targets: list[Target], factory: StackFactory, parallel: int,
              reporter: Reporter) -> tuple[list[Outcome], bool]:
    """Run `targets` (in `select` order) at most `parallel` at a time; (outcomes, interrupted by Ctrl-C).

    A stack is submitted once every stack in its `after` has finished; with `up` it is skipped instead when
    one of them did not succeed. The first Ctrl-C only stops submitting: stacks not started are cancelled and
    the running ones are waited for (their `pulumi` processes get the same SIGINT and stop cleanly); a
    second Ctrl-C aborts at once.
    """
    outcomes = {t.name: Outcome(t) for t in targets}
    for outcome in outcomes.values():
        reporter.show(outcome)
    pending = list(targets)
    running: dict[Future[None], str] = {}
    finished: set[str] = set()
    with _first_interrupt() as interrupted, ThreadPoolExecutor(parallel, thread_name_prefix="fleet") as pool:
        while running or (pending and not interrupted.is_set()):
            for target in [] if interrupted.is_set() else list(pending):
                if len(running) >= parallel:
                    break
                if not finished.issuperset(target.after):
                    continue
                pending.remove(target)
                failed = [s for s in target.after if not outcomes[s].ok]
                if command is Command.up and failed:
                    outcome = outcomes[target.name]
                    outcome.state = "skipped"
                    outcome.error = f"not run: account stack {', '.join(failed)} did not succeed"
                    finished.add(target.name)
                    reporter.show(outcome)
                    continue
                running[pool.submit(_run_one, command, target, factory, outcomes[target.name], reporter)] = target.name
            if not running:
                if pending and not interrupted.is_set():  # unreachable from `select`: only account stacks wait
                    raise RuntimeError(f"fleet: unsatisfiable order for {[t.name for t in pending]}")
                continue
            done, _ = wait(running, timeout=0.1, return_when=FIRST_COMPLETED)  # timeout: Ctrl-C is seen soon
            for future in done:
                finished.add(running.pop(future))
                future.result()
    for target in pending:
        outcome = outcomes[target.name]
        outcome.state, outcome.error = "cancelled", "not run: interrupted (Ctrl-C)"
        reporter.show(outcome)
    return [outcomes[t.name] for t in targets], interrupted.is_set()


@contextmanager
def _first_interrupt() -> Iterator[threading.Event]:
    """An event set by the first SIGINT, instead of a `KeyboardInterrupt` that could land anywhere in the
    scheduler; the default handler comes back for the second one. Off the main thread: no handler, no event."""
    event = threading.Event()

    def handler(signum: int, frame: object) -> None:
        event.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        yield event
        return
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)


# --- progress and summary -----------------------------------------------------------------------------------

_STYLE = {"ok": "green", "failed": "red", "skipped": "yellow", "cancelled": "yellow", "running": "cyan"}


def _state_text(outcome: Outcome, detail: str = "") -> str:
    t = outcome.target
    if outcome.state == "queued":
        return f"waits for {', '.join(t.after)}" if t.after else "queued"
    if outcome.state == "running":
        return "running" + (f" ({detail})" if detail else "")
    text = outcome.state
    if outcome.error is not None:
        text += f": {outcome.error.splitlines()[-1].strip()}"
    elif outcome.state in ("ok", "failed"):
        text += f": {_changes_text(outcome.changes)}"
    if outcome.duration is not None:
        if outcome.findings:
            text += f", {outcome.mandatory} mandatory / {outcome.advisory} advisory violation(s)"
        text += f" in {outcome.duration:.1f}s"
    return text


def _changes_text(changes: dict[str, int]) -> str:
    shown = [f"{count} to {column}" for column, count in changes.items() if count and column != "same"]
    return ", ".join(shown) or "no changes"


class LineReporter:
    """One line per state change: what CI logs and other non-terminals get."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.lock = threading.Lock()

    def show(self, outcome: Outcome, detail: str = "") -> None:
        if detail or outcome.state == "queued":
            return  # step counts and the initial queue are for the live view only
        style = _STYLE.get(outcome.state, "")
        with self.lock:
            text = escape(_state_text(outcome))
            self.console.print(f"{escape(outcome.target.name)}: " + (f"[{style}]{text}[/]" if style else text),
                               soft_wrap=True)


class LiveReporter:
    """A rich progress view on a terminal: one line per stack with its state and elapsed time."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.lock = threading.Lock()

    def show(self, outcome: Outcome, detail: str = "") -> None:
        name = outcome.target.name
        style = _STYLE.get(outcome.state, "dim")
        state = f"[{style}]{escape(_state_text(outcome, detail))}[/]"
        with self.lock:
            if name not in self.tasks:
                self.tasks[name] = self.progress.add_task(name, start=False, total=1, stack=name, state=state)
                return
            task = self.tasks[name]
            if outcome.state == "running" and not self.progress.tasks[task].started:
                self.progress.start_task(task)
            done = outcome.state in ("ok", "failed", "skipped", "cancelled")
            self.progress.update(task, state=state, completed=1 if done else 0)
            if done:
                self.progress.stop_task(task)


@contextmanager
def reporter_for(console: Console) -> Iterator[Reporter]:
    """Live view on a terminal, plain lines elsewhere."""
    if not console.is_terminal:
        yield LineReporter(console)
        return
    progress = Progress(SpinnerColumn(finished_text=" "), TextColumn("[bold]{task.fields[stack]}"),
                        TextColumn("{task.fields[state]}"), TimeElapsedColumn(), console=console, transient=False)
    with progress:
        yield LiveReporter(progress)


def summary_json(command: Command, outcomes: list[Outcome], elapsed: float, parallel: int) -> dict[str, Any]:
    """The `--format json` document."""
    states = [o.state for o in outcomes]
    return {
        "command": command.value, "parallel": parallel,
        "stacks": [o.as_json() for o in outcomes],
        "summary": {"stacks": len(outcomes), **{s: states.count(s) for s in ("ok", "failed", "skipped", "cancelled")},
                    "mandatory": sum(o.mandatory for o in outcomes), "advisory": sum(o.advisory for o in outcomes),
                    "durationSeconds": round(elapsed, 2)},
    }


def render_summary(command: Command, outcomes: list[Outcome], elapsed: float, console: Console) -> None:
    """The summary table, then the error tail of each failed stack and its mandatory findings."""
    table = Table(title=f"fleet {command.value}", show_header=True, header_style="bold")
    table.add_column("stack", no_wrap=True)
    table.add_column("result", no_wrap=True)
    for column in (*CHANGE_COLUMNS, "mandatory", "advisory", "duration"):
        table.add_column(column, justify="right")
    for o in outcomes:
        ran = o.duration is not None
        changes = [str(o.changes[c]) if ran and o.error is None else "-" for c in CHANGE_COLUMNS]
        table.add_row(escape(o.target.name), f"[{_STYLE.get(o.state, '')}]{o.state}[/]", *changes,
                      f"[red]{o.mandatory}[/]" if o.mandatory else (str(o.mandatory) if ran else "-"),
                      str(o.advisory) if ran else "-", f"{o.duration:.1f}s" if ran else "-")
    console.print(table)
    data = summary_json(command, outcomes, elapsed, 0)["summary"]
    verdict = "[green]PASS[/]" if data["ok"] == data["stacks"] else "[red]FAIL[/]"
    console.print(f"{verdict}: {data['stacks']} stack(s): {data['ok']} ok, {data['failed']} failed, "
                  f"{data['skipped']} skipped, {data['cancelled']} cancelled; {data['mandatory']} mandatory and "
                  f"{data['advisory']} advisory violation(s); {elapsed:.1f}s")
    for o in outcomes:
        mandatory = [f for f in o.findings if f["level"] == "mandatory"]
        if o.error is None and not mandatory:
            continue
        console.print(f"\n[bold]{escape(o.target.name)}[/] [{_STYLE[o.state]}]{o.state}[/]")
        for finding in mandatory:
            resource = finding["urn"].split("::")[-1] or "(stack)"
            first_line = (finding["message"].strip().splitlines() or [""])[0]
            console.print(f"  [red]mandatory[/] {escape(finding['policy'])} {escape(resource)}: {escape(first_line)}")
        if o.error:
            for line in o.error.splitlines():
                console.print(f"  [dim]{escape(line)}[/]")


# --- command line -------------------------------------------------------------------------------------------


def _interactive() -> bool:
    """A person can answer a question (tests patch this)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def _guard_production(targets: list[Target], yes: bool) -> None:
    """`up` on production stacks needs `--yes`, or a "yes" typed at a terminal."""
    production = [t.name for t in targets if t.production]
    if not production or yes:
        return
    names = ", ".join(production)
    if not _interactive():
        raise fail(f"fleet up would update production stack(s) {names}; pass --yes to confirm "
                    "(no terminal to ask on)")
    if not typer.confirm(f"Update production stack(s) {names}?", default=False, err=True):
        raise fail("not confirmed: no stack was updated (pass --yes to skip the question)")


def _run_command(command: Command, patterns: list[str] | None, parallel: int, org: str | None, output: Format,
                 yes: bool = False) -> None:
    try:
        project = load_project(PROJECT_ROOT)
        targets = select(project, [p.strip() for raw in patterns or ["*"] for p in raw.split(",") if p.strip()]
                         or ["*"], org, pack_configs=command is not Command.refresh)
        if command is Command.up:
            _guard_production(targets, yes)
        factory = automation_factory(project, command)
    except (FleetUsageError, ProjectError) as exc:
        raise fail(str(exc)) from None
    started = time.monotonic()
    with reporter_for(Console(emoji=False, stderr=True, highlight=False)) as reporter:
        outcomes, interrupted = run_fleet(command, targets, factory, parallel, reporter)
    elapsed = time.monotonic() - started
    if output is Format.json:
        sys.stdout.write(json.dumps(summary_json(command, outcomes, elapsed, parallel), indent=2) + "\n")
    else:
        console = Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 140)
        render_summary(command, outcomes, elapsed, console)
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(EXIT_OK if all(o.ok for o in outcomes) else EXIT_FAILED)


Stacks = Annotated[list[str] | None, typer.Option(
    "--stacks", help="Glob over stack names (stacks/Pulumi.<stack>.yaml), e.g. 'acme-*'; repeat or comma-separate "
    "for several. Default: every stack.", show_default=False)]
Parallel = Annotated[int, typer.Option("--parallel", min=1, max=MAX_PARALLEL,
                                       help=f"Stacks run at the same time (1-{MAX_PARALLEL}).")]
Org = Annotated[str | None, typer.Option(
    "--org", help="Pulumi organization: run stacks as ORG/connect/<stack> (default: each stack file's "
    "connect:tenant.organization, the org its stack references use).")]
Output = Annotated[Format, typer.Option("--format", help="text (progress, then a summary table) or json.")]

fleet_app = typer.Typer(name="fleet", no_args_is_help=True, help="Preview, update or refresh many client stacks "
                        "at once through the Pulumi Automation API (needs the pulumi CLI and a backend login).")


@fleet_app.command()
def preview(stacks: Stacks = None, parallel: Parallel = 4, org: Org = None, output: Output = Format.text) -> None:
    """Preview the selected stacks with the policy pack and each stack's pack config."""
    _run_command(Command.preview, stacks, parallel, org, output)


@fleet_app.command()
def up(
    stacks: Stacks = None, parallel: Parallel = 4, org: Org = None, output: Output = Format.text,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Update production stacks without asking.")] = False,
) -> None:
    """Update the selected stacks; production stacks need --yes (or a confirmation at a terminal)."""
    _run_command(Command.up, stacks, parallel, org, output, yes)


@fleet_app.command()
def refresh(stacks: Stacks = None, parallel: Parallel = 4, org: Org = None, output: Output = Format.text) -> None:
    """Refresh the selected (existing) stacks' state from AWS."""
    _run_command(Command.refresh, stacks, parallel, org, output)


def register(app: typer.Typer) -> None:
    """Add the `fleet` command group to `app`, with `fleet assure` (connectctl/assure.py: live audits, no Pulumi)."""
    from connectctl import assure

    assure.register(fleet_app)
    app.add_typer(fleet_app, name="fleet")
