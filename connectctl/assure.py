"""`connectctl fleet assure`: the nightly assurance of `.github/workflows/nightly-assurance.yml`, from a terminal.

Per selected stack: the live audit (every check, the DR ones included, so `dr verify` costs no second pass over
the account) and, when `--state-dir` holds the stack's `pulumi stack export` (`<stack>.json`), the pack over that
refreshed state (`connectctl check --state`). What the nightly workflow adds is only what needs the Pulumi
service and GitHub: the refresh preview, the export itself, code scanning, the tracking issue and the page.

Stacks run one after another: the audit plans the stack offline (its expectations), and the plan engine runs
the Pulumi SDK's process-wide runtime, which is not made for threads; an audit takes seconds.

Exit codes: 0 every stack passed; 1 findings or mandatory violations in at least one stack, every stack checked;
2 usage, or at least one stack could not be checked (its row says why): an incomplete night is never a pass.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectctl.engine.project import Project, ProjectError, load_project_dir
from connectctl.errors import EXIT_FOUND, EXIT_INVALID, EXIT_OK, fail, input_errors

EXIT_FINDINGS = EXIT_FOUND
STYLE = {"passed": "green", "failed": "red", "error": "bold red"}


class AssureFormat(StrEnum):
    """Output formats of `fleet assure`."""

    text = "text"
    json = "json"


@dataclass
class Assured:
    """One stack's night: the audit's findings (DR checks apart), the state check's violations, or why it failed."""

    stack: str
    kind: str
    audit: int | None = None
    dr: int | None = None
    state: int | None = None  # mandatory violations of the state export; None: not checked
    state_file: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    duration: float = 0.0

    @property
    def result(self) -> str:
        """error (could not be checked), failed (findings or violations) or passed."""
        if self.error is not None:
            return "error"
        return "failed" if (self.audit or 0) + (self.dr or 0) + (self.state or 0) else "passed"

    def as_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "kind": self.kind, "result": self.result, "auditFindings": self.audit,
                "drFindings": self.dr, "stateViolations": self.state, "stateFile": self.state_file,
                "findings": self.findings, "error": self.error, "durationSeconds": round(self.duration, 2)}


@dataclass(frozen=True)
class Options:
    """How to reach the accounts, shared by every stack."""

    endpoint_url: str | None
    assume_role: bool
    profile: str | None
    state_dir: Path | None
    project: Project
    skip: tuple[str, ...] = ()


def assure_stack(stack: str, kind: str, options: Options) -> Assured:
    """Audit one stack live and check its state export if there is one; never raises."""
    from connectctl.audit import audit_stack, guardrails
    from connectctl.audit.checks import DR_CHECK_IDS, DR_RPO
    from connectctl.audit.model import AuditError
    from connectctl.check import CheckInputError, check_file

    started = time.monotonic()
    outcome = Assured(stack, kind)
    quiet = Console(emoji=False, file=io.StringIO())  # no nested progress bar: the fleet's own is showing
    try:
        report = audit_stack(stack, list(guardrails.catalogue()), outputs_file=None,  # what `audit` runs
                             endpoint_url=options.endpoint_url, region=None, assume_role=options.assume_role,
                             profile=options.profile, rpo=DR_RPO, skip=list(options.skip),
                             project_dir=options.project.root, progress_console=quiet)
        failing = [f for f in report.findings if getattr(f, "level", "mandatory") == "mandatory"]
        outcome.audit = sum(1 for f in failing if f.check not in DR_CHECK_IDS)
        outcome.dr = sum(1 for f in failing if f.check in DR_CHECK_IDS)
        outcome.findings = [{**f.as_dict(), "command": "dr verify" if f.check in DR_CHECK_IDS else "audit"}
                            for f in report.findings]
        if options.state_dir is not None:
            path = options.state_dir / f"{stack}.json"
            if path.is_file():
                result = check_file(path, "state", stack=stack, project=options.project)
                outcome.state, outcome.state_file = len(result.mandatory), str(path)
                outcome.findings += [{"command": "check --state", "check": v.policy, "severity": v.severity,
                                      "resourceId": v.urn.split("::")[-1], "message": v.message}
                                     for v in result.mandatory]
    except AuditError as exc:
        outcome.error = str(exc)
    except input_errors(CheckInputError) as exc:
        outcome.error = str(exc)
    outcome.duration = time.monotonic() - started
    return outcome


Show = Callable[[str, Assured | None], None]


@contextmanager
def progress_for(console: Console, total: int) -> Iterator[Show]:
    """A rich progress bar on a terminal; one line per finished stack elsewhere (CI logs)."""
    if not console.is_terminal:
        def line(stack: str, done: Assured | None) -> None:
            if done is not None:
                console.print(f"{escape(stack)}: {_state(done)}", soft_wrap=True, highlight=False)
        yield line
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("assuring", total=total)

        def bar(stack: str, done: Assured | None) -> None:
            if done is None:
                progress.update(task, description=f"assuring {stack}")
            else:
                progress.console.print(f"{escape(stack)}: {_state(done)}", soft_wrap=True, highlight=False)
                progress.advance(task)
        yield bar


def _state(outcome: Assured) -> str:
    style = STYLE[outcome.result]
    if outcome.error is not None:
        first = outcome.error.splitlines()[0] if outcome.error else ""
        return f"[{style}]error[/]: {escape(first)}"
    parts = [f"{outcome.audit} audit finding(s)", f"{outcome.dr} DR finding(s)"]
    if outcome.state is not None:
        parts.append(f"{outcome.state} mandatory violation(s) in the state")
    return f"[{style}]{outcome.result}[/]: {', '.join(parts)} in {outcome.duration:.1f}s"


def summary(outcomes: list[Assured]) -> dict[str, int]:
    results = [o.result for o in outcomes]
    return {"stacks": len(outcomes), **{r: results.count(r) for r in ("passed", "failed", "error")},
            "findings": sum(len(o.findings) for o in outcomes)}


def render(outcomes: list[Assured], elapsed: float, console: Console) -> None:
    """The summary table, then the findings and errors of each stack that did not pass."""
    table = Table(title="fleet assure", show_header=True, header_style="bold")
    for column in ("stack", "kind", "result", "audit", "dr verify", "state", "duration"):
        table.add_column(column, justify="right" if column in ("audit", "dr verify", "state", "duration") else "left")

    def count(value: int | None) -> str:
        return "-" if value is None else f"[red]{value}[/]" if value else "0"

    for o in outcomes:
        table.add_row(escape(o.stack), o.kind, f"[{STYLE[o.result]}]{o.result}[/]", count(o.audit), count(o.dr),
                      count(o.state), f"{o.duration:.1f}s")
    console.print(table)
    totals = summary(outcomes)
    verdict = "[green]PASS[/]" if totals["passed"] == totals["stacks"] else "[red]FAIL[/]"
    console.print(f"{verdict}: {totals['stacks']} stack(s): {totals['passed']} passed, {totals['failed']} with "
                  f"findings, {totals['error']} not checked; {totals['findings']} finding(s); {elapsed:.1f}s")
    for o in outcomes:
        if o.result == "passed":
            continue
        console.print(f"\n[bold]{escape(o.stack)}[/] [{STYLE[o.result]}]{o.result}[/]")
        if o.error:
            console.print(f"  {escape(o.error)}")
        for finding in o.findings:
            first = str(finding["message"]).splitlines()[0] if finding["message"] else ""
            console.print(f"  {finding['command']} {escape(str(finding['check']))} "
                          f"{escape(str(finding['resourceId']))}: {escape(first)}")


def assure(
    stacks: Annotated[list[str] | None, typer.Option(
        "--stacks", help="Glob over stack names, e.g. 'acme-*'; repeat or comma-separate. Default: every stack.",
        show_default=False)] = None,
    state_dir: Annotated[Path | None, typer.Option(
        "--state-dir", help="A directory of `pulumi stack export` files named <stack>.json: each is checked with "
        "the pack (connectctl check --state); stacks without one are audited only.")] = None,
    endpoint_url: Annotated[str | None, typer.Option(
        "--endpoint-url", help="Send every AWS call here (default: AWS_ENDPOINT_URL, else AWS).")] = None,
    assume_role: Annotated[bool, typer.Option(
        "--assume-role/--no-assume-role", help="Assume each stack's deployRoleArn (default).")] = True,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile of the base credentials.")] = None,
    skip: Annotated[list[str] | None, typer.Option(
        "--skip", help="Do not run this audit check (repeatable), as `connectctl audit --skip`.")] = None,
    output: Annotated[AssureFormat, typer.Option("--format", help="text (progress, then a table) or json.")] = (
        AssureFormat.text),
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) whose stacks to assure; default: this checkout.")] = None,
) -> None:
    """Audit every selected stack live (the DR checks included) and check their state exports, with a summary
    table: the nightly assurance from the command line."""
    from connectctl.fleet import FleetUsageError, select

    if state_dir is not None and not state_dir.is_dir():
        raise fail(f"--state-dir {state_dir}: not a directory; allowed: a directory of <stack>.json state exports")
    try:
        project = load_project_dir(project_dir)
        patterns = [p.strip() for raw in stacks or ["*"] for p in raw.split(",") if p.strip()] or ["*"]
        targets = select(project, patterns, pack_configs=False)  # the pack runs here, over the exports
    except (FleetUsageError, ProjectError) as exc:
        raise fail(str(exc)) from None
    from connectctl.audit import guardrails

    unknown = sorted(set(skip or []) - {c.id for c in guardrails.catalogue()})
    if unknown:
        raise fail(f"unknown check(s) for --skip: {', '.join(unknown)}; see connectctl audit --list")
    options = Options(endpoint_url, assume_role, profile, state_dir, project, tuple(skip or []))
    started = time.monotonic()
    outcomes = []
    with progress_for(Console(emoji=False, stderr=True, highlight=False), len(targets)) as show:
        for target in targets:
            show(target.name, None)
            outcome = assure_stack(target.name, "account" if target.account else "environment", options)
            outcomes.append(outcome)
            show(target.name, outcome)
    elapsed = time.monotonic() - started
    if output is AssureFormat.json:
        sys.stdout.write(json.dumps({"stacks": [o.as_json() for o in outcomes], "summary": summary(outcomes)},
                                    indent=2) + "\n")
    else:
        render(outcomes, elapsed, Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 160))
    if any(o.result == "error" for o in outcomes):
        raise typer.Exit(EXIT_INVALID)
    raise typer.Exit(EXIT_FINDINGS if any(o.result == "failed" for o in outcomes) else EXIT_OK)


def register(fleet_app: typer.Typer) -> None:
    """Add `assure` to the `fleet` group (once)."""
    if not any(c.name == "assure" for c in fleet_app.registered_commands):
        fleet_app.command("assure")(assure)


__all__ = ["assure", "register"]
