"""`connectctl audit STACK` and `connectctl dr verify STACK`: live, read-only guardrail checks of a deployment.

The policy pack judges what a stack declares; these commands read the deployed account (boto3, in the
tenant account through the stack's `deployRoleArn`), judge it with the same pack (connectctl/audit/guardrails.py)
and check what the pack cannot see after `pulumi up` (connectctl/audit/checks.py).
Exit codes as everywhere in connectctl: 0 no mandatory finding, 1 mandatory findings, 2 the audit could not run
(bad input, no credentials, access denied, endpoint unreachable), with one message on stderr and no traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from components import clock
from connectctl.audit import guardrails
from connectctl.audit.checks import CHECK_IDS, DR_RPO
from connectctl.audit.context import (
    AuditContext,
    load_outputs,
    load_stack_config,
    open_session,
    registry_location,
)
from connectctl.audit.model import AuditError, AuditReport, Check
from connectctl.audit.report import render, render_text
from connectctl.audit.run import run_checks
from connectctl.errors import EXIT_FOUND, EXIT_OK, fail

__all__ = ["register"]
EXIT_FINDINGS = EXIT_FOUND
DR_RPO_HOURS = DR_RPO.total_seconds() / 3600


class AuditFormat(StrEnum):
    """Output formats of `audit` and `dr verify`."""

    text = "text"
    json = "json"
    sarif = "sarif"


Outputs = Annotated[Path | None, typer.Option(
    "--outputs", help="`pulumi stack output --json` of the stack saved to a file: exact VPC, cluster, VPN "
    "connections, DR vault and egressIps (else found by the stack's tags and names).")]
OutputFormat = Annotated[AuditFormat, typer.Option(
    "--format", help="text (tables), json (the documented document) or sarif (SARIF 2.1.0).")]
EndpointUrl = Annotated[str | None, typer.Option(
    "--endpoint-url", help="Send every AWS call here (default: AWS_ENDPOINT_URL, else AWS).")]
Region = Annotated[str | None, typer.Option("--region", help="Primary region (default: the stack's aws:region).")]
AssumeRole = Annotated[bool, typer.Option(
    "--assume-role/--no-assume-role", help="Assume the stack's deployRoleArn (default) or use the credentials "
    "as they are; either way they must be of the stack's accountId.")]
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile of the base credentials.")]
RpoHours = Annotated[float, typer.Option(
    "--rpo-hours", min=0.1, help="Maximum age of the DR vault's newest recovery point, in hours.")]
Pack = Annotated[bool, typer.Option(
    "--pack/--no-pack", envvar="CONNECTCTL_AUDIT_PACK",
    help="Judge the live account with the policy pack's rules too (default), or run only the audit's own run-time "
    "checks (--no-pack: a quick run; the guardrails of `pulumi preview` are then not held live).")]
ProjectDir = Annotated[Path | None, typer.Option(
    "--project-dir", help="The project (Pulumi.yaml) whose stack config directory holds STACK; default: this "
    "checkout.")]


def audit_stack(stack: str, checks: list[Check], *, outputs_file: Path | None, endpoint_url: str | None,
                region: str | None, assume_role: bool, profile: str | None, rpo: timedelta,
                skip: list[str], project_dir: Path | None = None,
                progress_console: Console | None = None) -> AuditReport:
    """Load the stack's expectations, open the tenant account, run the checks; AuditError on any failure.
    `progress_console`: where the checks' progress bar goes (`fleet assure` passes one that shows none)."""
    try:
        checked_at = clock.now()
    except clock.ClockError as exc:
        raise AuditError(str(exc)) from None
    stack_file, cfg = load_stack_config(stack, project_dir)
    outputs = load_outputs(outputs_file, stack, cfg) if outputs_file is not None else None
    primary = region or cfg.region
    client, identity = open_session(cfg, stack, profile=profile, assume_role=assume_role, region=primary,
                                    endpoint_url=endpoint_url)
    registry_region, repositories, note = registry_location(cfg, stack_file)
    if region and registry_region == cfg.region:
        registry_region = region  # the registry is in the stack's own region: follow the override
    ctx = AuditContext(
        stack=stack, cfg=cfg, account_id=identity["account"], region=primary, dr_region=cfg.tenant.dr_region,
        registry_region=registry_region, repositories=repositories, client=client,
        now=checked_at, rpo=rpo, outputs=outputs, partition=identity["arn"].split(":")[1],
        notes={"ecr-scan-on-push": note} if note else {}, project=stack_file.project,
        pack_config=guardrails.pack_config(stack_file) if guardrails.needs_pack(checks, skip) else None,
        extra_regions=guardrails.extra_regions(cfg),
    )
    results = run_checks(ctx, checks, skip, progress_console)
    return AuditReport(
        stack=stack, account=identity["account"], identity=identity["arn"], region=primary,
        dr_region=cfg.tenant.dr_region, registry_region=registry_region, stack_file=stack_file.display_path,
        outputs_file=str(outputs_file) if outputs_file is not None else None,
        checked_at=ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ"), results=results, lines=dict(stack_file.lines),
    )


def _report(report: AuditReport, output: AuditFormat) -> None:
    text = render(report, output.value)
    if text is None:
        render_text(report, Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 160))
    else:
        sys.stdout.write(text)
    raise typer.Exit(EXIT_FINDINGS if report.mandatory else EXIT_OK)


def _reads(check: Check) -> str:
    """What a check reads: its description (audit checks), the live types it judges (pack rules)."""
    types = ", ".join(guardrails.reads(check.id)) if check.source != "audit" and check.live != "no" else ""
    if check.source == "pack":
        return types
    return f"{check.description} The rule reads: {types}." if types else check.description


def list_checks(output: AuditFormat) -> None:
    """`audit --list`: every check (the audit's own, then the pack's rules), where it applies, whether the pack's
    rules are judged live (and why not), and what each reads."""
    rows = [{"id": c.id, "source": c.source, "appliesTo": c.applies_to, "level": c.level, "severity": c.severity,
             "title": c.title, "live": c.live or "yes", "liveNote": c.live_note, "reads": _reads(c)}
            for c in guardrails.catalogue()]
    if output is AuditFormat.json:
        sys.stdout.write(json.dumps({"checks": rows}, indent=2) + "\n")
        return
    console = Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 160)
    table = Table(title="connectctl audit checks", show_header=True, header_style="bold")
    for column in ("check", "source", "applies to", "level", "live", "what it reads / why not live"):
        table.add_column(column, overflow="fold")
    for row in rows:
        reads = row["reads"] if row["live"] == "yes" else "; ".join(filter(None, [row["liveNote"], row["reads"]]))
        table.add_row(row["id"], row["source"], row["appliesTo"], row["level"], row["live"], escape(reads))
    console.print(table)


def print_policy() -> None:
    """`audit --policy`: the read-only IAM policy the audit needs, generated from what it calls."""
    from connectctl.audit.permissions import policy_document

    sys.stdout.write(json.dumps(policy_document(), indent=2) + "\n")


def audit(
    stack: Annotated[str | None, typer.Argument(help="Stack name, e.g. acme-prod (stacks/Pulumi.<stack>.yaml)")] = None,
    outputs: Outputs = None,
    output: OutputFormat = AuditFormat.text,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    assume_role: AssumeRole = True,
    profile: Profile = None,
    skip: Annotated[list[str] | None, typer.Option(
        "--skip", help=f"Do not run this check (repeatable): {', '.join(CHECK_IDS)}, or any rule of the pack "
        "(`--list`).")] = None,
    rpo_hours: RpoHours = DR_RPO_HOURS,
    project_dir: ProjectDir = None,
    pack: Pack = True,
    list_: Annotated[bool, typer.Option("--list", help="List every check, where it applies and what it reads; "
                                                         "no stack, no AWS call.")] = False,
    policy: Annotated[bool, typer.Option("--policy", help="Print the read-only IAM policy the audit needs, "
                                                          "generated from the calls it makes; no stack, no AWS call."
                                         )] = False,
) -> None:
    """Audit a deployed stack live (read-only): the policy pack's rules judged on the live account, and the
    run-time checks no plan can see: registry scanning, public IPs, egress IPs, load balancers, ECS services, VPN
    tunnels, flow logs, the DR vault's newest recovery point and the DR copies of the services' secrets, the
    account's access roles and audit trail, the default network ACL (`--list`)."""
    if list_:
        list_checks(output)
        return
    if policy:
        print_policy()
        return
    if stack is None:
        raise fail("name a stack (connectctl audit acme-prod), or --list the checks")
    checks = list(guardrails.catalogue(pack))
    unknown = sorted(set(skip or []) - {c.id for c in guardrails.catalogue()}) if skip else []
    if unknown:
        raise fail(f"unknown check(s) for --skip: {', '.join(unknown)}; checks: {', '.join(CHECK_IDS)} and the "
                    "pack's rules (connectctl audit --list)")
    try:
        report = audit_stack(stack, checks, outputs_file=outputs, endpoint_url=endpoint_url, region=region,
                             assume_role=assume_role, profile=profile, rpo=timedelta(hours=rpo_hours),
                             skip=skip or [], project_dir=project_dir)
    except AuditError as exc:
        raise fail(str(exc)) from None
    _report(report, output)


def verify(
    stack: Annotated[str, typer.Argument(help="Stack name, e.g. acme-prod (stacks/Pulumi.<stack>.yaml)")],
    outputs: Outputs = None,
    output: OutputFormat = AuditFormat.text,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
    assume_role: AssumeRole = True,
    profile: Profile = None,
    rpo_hours: RpoHours = DR_RPO_HOURS,
    project_dir: ProjectDir = None,
    pack: Pack = True,
) -> None:
    """Verify the DR region can take over: the DR vault's newest recovery point is younger than the RPO, the
    standby (pilot-light, warm-standby) finds every secret its services read there, and the pack's DR rules hold on
    the live account (vaults encrypted and locked, copies and replication to the DR region, a self-contained
    standby)."""
    checks = list(guardrails.dr_catalogue(pack))
    try:
        report = audit_stack(stack, checks, outputs_file=outputs, endpoint_url=endpoint_url, region=region,
                             assume_role=assume_role, profile=profile, rpo=timedelta(hours=rpo_hours), skip=[],
                             project_dir=project_dir)
    except AuditError as exc:
        raise fail(str(exc)) from None
    _report(report, output)


def register(app: typer.Typer) -> None:
    """Add `audit` and the `dr` group (`dr verify`, `dr runbook`) to the main app."""
    from connectctl.runbook import runbook  # light: it imports the plan engine only when it runs

    app.command("audit")(audit)
    dr = typer.Typer(help="Disaster recovery: checks of a deployed stack, and the failover runbook.",
                     no_args_is_help=True)
    dr.command("verify")(verify)
    dr.command("runbook")(runbook)
    app.add_typer(dr, name="dr")
