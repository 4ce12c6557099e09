"""Run checks against a context, turning AWS failures into one exit-2 message and showing progress."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from connectctl.audit.context import AuditContext, aws_errors, explain
from connectctl.audit.model import Check, CheckResult


def run_checks(ctx: AuditContext, checks: Iterable[Check], skip: Iterable[str] = (),
               progress_console: Console | None = None) -> list[CheckResult]:
    """Each check in order; skipped ones and those that do not apply to the stack's scope are recorded as such.

    Progress goes to `progress_console` (stderr) only when it is a terminal: a CI log gets no bar noise.
    """
    checks, skipped = list(checks), set(skip)
    results: list[CheckResult] = []
    console = progress_console or Console(emoji=False, stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(f"auditing {ctx.stack}", total=len(checks))
        for check in checks:
            progress.update(task, description=f"{ctx.stack}: {check.id}")
            if check.id in skipped:
                results.append(CheckResult(check, "skipped", note="skipped with --skip"))
            elif check.environment_only and ctx.cfg.is_account:
                results.append(CheckResult(check, "not-applicable", note="account stack: no environment resources"))
            elif check.account_only and not ctx.cfg.is_account:
                results.append(CheckResult(check, "not-applicable",
                                           note=f"owned by the account stack ({ctx.cfg.account_stack}): audit that"))
            else:
                try:
                    outcome = check.run(ctx)
                except aws_errors() as exc:
                    raise explain(exc, f"check {check.id}") from None
                if outcome.not_applicable is not None:
                    results.append(CheckResult(check, "not-applicable", outcome.examined, [], outcome.not_applicable))
                else:
                    results.append(CheckResult(check, "failed" if outcome.findings else "passed", outcome.examined,
                                               outcome.findings, outcome.note))
            progress.advance(task)
    return results
