"""What an audit produces: findings, per-check results and the report, independent of AWS and of output formats."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from connectctl.audit.context import AuditContext

Severity = Literal["critical", "high", "medium", "low"]
Status = Literal["passed", "failed", "skipped", "not-applicable"]
Level = Literal["mandatory", "advisory"]  # mandatory findings fail the audit (exit 1), as they fail `pulumi up`
Source = Literal["audit", "pack", "audit+pack"]  # the audit's own run-time check, the pack's rule judged live
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class AuditError(Exception):
    """The audit cannot be run or finished (credentials, access, endpoint, input files): exit 2, one message."""


@dataclass(frozen=True)
class Finding:
    """One live resource that breaks a guardrail, named so a person can find it in the console."""

    check: str
    severity: Severity
    resource_id: str
    resource_type: str
    message: str
    region: str
    arn: str | None = None
    config_path: str | None = None  # the stack-file entry that sets the expectation (SARIF/JSON location)
    level: Level = "mandatory"
    source: Source = "audit"  # which path found it: the audit's check, or the pack's rule on the live view

    def as_dict(self) -> dict[str, object]:
        """The finding in the JSON report."""
        return {
            "check": self.check,
            "level": self.level,
            "source": self.source,
            "severity": self.severity,
            "resourceId": self.resource_id,
            "resourceType": self.resource_type,
            "arn": self.arn,
            "region": self.region,
            "message": self.message,
            "configPath": self.config_path,
        }


@dataclass
class Outcome:
    """What a check function returns: how many resources it examined and what it found.

    `not_applicable` (a reason) marks a check with nothing to look at for this stack, e.g. no VPN
    configured and none attached: reported as such rather than as a pass that proved nothing.
    """

    examined: int = 0
    findings: list[Finding] = field(default_factory=list)
    note: str = ""
    not_applicable: str | None = None


@dataclass(frozen=True)
class Check:
    """A live guardrail check: metadata for the reports, and the function that runs it."""

    id: str
    title: str
    severity: Severity
    description: str
    remediation: str
    run: Callable[[AuditContext], Outcome]
    environment_only: bool = True  # account stacks (scope: account) have only the registry
    account_only: bool = False  # what only the account stack owns: the access roles, the audit trail
    level: Level = "mandatory"  # the level of its findings (a pack rule's: the stack's pack config may change it)
    source: Source = "audit"
    live: str = ""  # pack rules: judged live "yes", "partly" or "no" (connectctl/audit/guardrails.py)
    live_note: str = ""  # what is not read live, or why the rule is not judged live

    @property
    def applies_to(self) -> str:
        """Which stacks the check judges, for `audit --list`."""
        if self.account_only:
            return "account stacks"
        return "environment stacks" if self.environment_only else "account and environment stacks"


@dataclass
class CheckResult:
    """A check as run (or not) in one audit."""

    check: Check
    status: Status
    examined: int = 0
    findings: list[Finding] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        """The check in the JSON report."""
        return {
            "id": self.check.id,
            "title": self.check.title,
            "level": self.check.level,
            "source": self.check.source,
            "severity": self.check.severity,
            "status": self.status,
            "examined": self.examined,
            "findings": len(self.findings),
            "note": self.note,
        }


@dataclass
class AuditReport:
    """The whole audit: who and where was audited, and each check's result."""

    stack: str
    account: str
    identity: str
    region: str
    dr_region: str
    registry_region: str
    stack_file: str
    outputs_file: str | None
    checked_at: str
    results: list[CheckResult]
    lines: dict[str, int] = field(default_factory=dict)  # config path -> stack-file line, for locations

    @property
    def findings(self) -> list[Finding]:
        """Every finding, mandatory first, most severe first, then by check and resource (stable output)."""
        found = [f for r in self.results for f in r.findings]
        return sorted(found, key=lambda f: (f.level != "mandatory", SEVERITY_ORDER[f.severity], f.check,
                                            f.resource_id, f.message, f.source))

    @property
    def mandatory(self) -> list[Finding]:
        """The findings that fail the audit (exit 1)."""
        return [f for f in self.findings if f.level == "mandatory"]

    def line_of(self, config_path: str | None) -> int:
        """Stack-file line of a config path or its nearest parent; 1 when unknown."""
        probe = config_path or ""
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return 1
