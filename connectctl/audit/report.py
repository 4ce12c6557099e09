"""Reports of `connectctl audit`: a rich table, a documented JSON document and SARIF 2.1.0.

SARIF places each finding on the stack-file line of the entry that sets the expectation (a service's
`capacity.base`, a VPN link, `connect:network`...) with the live resource as its logical location, so
code-scanning tools show drift next to the configuration it drifted from.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectctl.audit.model import AuditReport
from connectctl.reports import SARIF_SCHEMA, SECURITY_SEVERITY

JSON_VERSION = 1
STATUS_STYLES = {"passed": "green", "failed": "red", "skipped": "dim", "not-applicable": "dim"}
SEVERITY_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def summary(report: AuditReport) -> dict[str, int]:
    """Counts by check status, and the number of findings (mandatory ones fail the audit)."""
    counts = {status: sum(r.status == status for r in report.results)
              for status in ("passed", "failed", "skipped", "not-applicable")}
    mandatory = len(report.mandatory)
    return {"checks": len(report.results), **counts, "findings": len(report.findings), "mandatory": mandatory,
            "advisory": len(report.findings) - mandatory}


def as_json(report: AuditReport) -> dict[str, Any]:
    """The JSON report (`--format json`).

    `{"version": 1, "stack", "account", "identity", "region", "drRegion", "registryRegion", "stackFile",
    "outputsFile", "checkedAt",
    "checks": [{"id", "title", "level", "source", "severity", "status": passed|failed|skipped|not-applicable,
                "examined", "findings", "note"}],
    "findings": [{"check", "level", "source", "severity", "resourceId", "resourceType", "arn", "region", "message",
                  "configPath", "location": {"file", "line"}}],
    "summary": {"checks", "passed", "failed", "skipped", "not-applicable", "findings", "mandatory", "advisory"}}`
    Findings are ordered mandatory first, then by severity, check and resource; `arn` is null where AWS has none to
    give. `source` says which path found it: `audit` (a run-time check), `pack` (a rule judged on the live view).
    """
    return {
        "version": JSON_VERSION,
        "stack": report.stack,
        "account": report.account,
        "identity": report.identity,
        "region": report.region,
        "drRegion": report.dr_region,
        "registryRegion": report.registry_region,
        "stackFile": report.stack_file,
        "outputsFile": report.outputs_file,
        "checkedAt": report.checked_at,
        "checks": [r.as_dict() for r in report.results],
        "findings": [{**f.as_dict(), "location": {"file": report.stack_file, "line": report.line_of(f.config_path)}}
                     for f in report.findings],
        "summary": summary(report),
    }


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def as_sarif(report: AuditReport) -> dict[str, Any]:
    """SARIF 2.1.0: every check run as a rule, one `error` result per finding at its stack-file line."""
    rules = []
    for result in report.results:
        check = result.check
        rules.append({
            "id": check.id,
            "name": "".join(part.capitalize() for part in check.id.split("-")),
            "shortDescription": {"text": check.title},
            "fullDescription": {"text": check.description},
            "help": {"text": check.remediation, "markdown": f"**Remediation.** {check.remediation}"},
            "defaultConfiguration": {"level": "error" if check.level == "mandatory" else "warning",
                                     "enabled": result.status != "skipped"},
            "properties": {"severity": check.severity, "security-severity": SECURITY_SEVERITY[check.severity],
                           "status": result.status, "examined": result.examined, "source": check.source,
                           "tags": ["security", "guardrail", "live-audit"]},
        })
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    results = []
    for finding in report.findings:
        results.append({
            "ruleId": finding.check,
            "ruleIndex": index[finding.check],
            "level": "error" if finding.level == "mandatory" else "warning",
            "message": {"text": finding.message},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": report.stack_file},
                                     "region": {"startLine": report.line_of(finding.config_path)}},
                "logicalLocations": [{"name": finding.resource_id, "kind": "resource",
                                      "fullyQualifiedName": finding.arn or finding.resource_id}],
            }],
            "partialFingerprints": {"connectctlAudit/v1": _fingerprint(
                report.stack, finding.check, finding.resource_id, finding.message)},
            "properties": {"severity": finding.severity, "level": finding.level, "source": finding.source,
                           "resourceType": finding.resource_type,
                           "resourceId": finding.resource_id, "arn": finding.arn, "region": finding.region,
                           **({"configPath": finding.config_path} if finding.config_path else {})},
        })
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "connectctl", "fullName": "connectctl audit (live guardrail checks)",
                                "rules": rules}},
            "automationDetails": {"id": f"connectctl-audit/{report.stack}/"},
            "invocations": [{"executionSuccessful": True, "endTimeUtc": report.checked_at}],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"stack": report.stack, "account": report.account, "region": report.region,
                           "drRegion": report.dr_region, "summary": summary(report)},
        }],
    }


def render_text(report: AuditReport, console: Console) -> None:
    """Header, the checks with their status, the findings, then PASS/FAIL."""
    console.print(f"[bold]Audit of {escape(report.stack)}[/] - account {report.account} "
                  f"({escape(report.identity)}), {report.region}, DR {report.dr_region}"
                  + (f", outputs {escape(report.outputs_file)}" if report.outputs_file else ""))
    checks = Table(title="Checks", show_header=True, header_style="bold")
    for column in ("check", "status", "examined", "findings", "note"):
        checks.add_column(column, overflow="fold")
    for result in report.results:
        style = STATUS_STYLES[result.status]
        checks.add_row(result.check.id, f"[{style}]{result.status}[/]", str(result.examined),
                       str(len(result.findings)) if result.findings else "", escape(result.note))
    console.print(checks)
    if report.findings:
        table = Table(title="Findings", show_header=True, header_style="bold")
        for column in ("severity", "check", "resource", "message"):
            table.add_column(column, overflow="fold")
        for finding in report.findings:
            style = SEVERITY_STYLES[finding.severity]
            level = "" if finding.level == "mandatory" else " (advisory)"
            table.add_row(f"[{style}]{finding.severity}[/]{level}", finding.check, escape(finding.resource_id),
                          escape(finding.message))
        console.print(table)
    counts = summary(report)
    verdict = "[red]FAIL[/]" if counts["mandatory"] else "[green]PASS[/]"
    advisory = f" ({counts['advisory']} advisory)" if counts["advisory"] else ""
    console.print(f"{verdict}: {counts['findings']} finding(s){advisory}; {counts['passed']} check(s) passed, "
                  f"{counts['failed']} failed, {counts['not-applicable']} not applicable, {counts['skipped']} skipped")


def render(report: AuditReport, output: str) -> str | None:
    """The report as text for the machine formats; None for `text` (printed with rich)."""
    if output == "json":
        return json.dumps(as_json(report), indent=2) + "\n"
    if output == "sarif":
        return json.dumps(as_sarif(report), indent=2) + "\n"
    return None
