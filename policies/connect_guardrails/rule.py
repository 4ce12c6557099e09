"""Rule metadata and the bridge to `pulumi_policy` policies.

Every guardrail is a `Rule`: its catalogue facts (id, owner, anchors, remediation...) beside the
function that checks it. `Rule.policy()` turns it into the `pulumi_policy` object the engine runs,
so the metadata and the check can never drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

Kind = Literal["resource", "stack"]
Level = Literal["mandatory", "advisory"]
Owner = Literal["operator", "client"]
SeverityName = Literal["low", "medium", "high", "critical"]

LEVELS = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}
SEVERITIES = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}
ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation], None]


@dataclass(frozen=True)
class Rule:
    """One guardrail of the catalogue (`guardrails.md`)."""

    id: str
    description: str
    kind: Kind
    level: Level
    severity: SeverityName
    owner: Owner
    anchors: tuple[str, ...]
    remediation: str
    unwaivable: bool
    check: ResourceCheck | StackCheck
    config: dict[str, dict[str, Any]] = field(default_factory=dict)

    def policy(self) -> Policy:
        """The `pulumi_policy` policy the engine runs for this rule."""
        schema = PolicyConfigSchema(properties=self.config) if self.config else None
        common: dict[str, Any] = {
            "name": self.id,
            "description": self.description,
            "enforcement_level": LEVELS[self.level],
            "config_schema": schema,
            "severity": SEVERITIES[self.severity],
        }
        if self.kind == "resource":
            return ResourceValidationPolicy(validate=cast(ResourceCheck, self.check), **common)
        return StackValidationPolicy(validate=cast(StackCheck, self.check), **common)

    def metadata(self) -> dict[str, Any]:
        """Everything but the check, for listings and reports."""
        return {
            "id": self.id,
            "description": self.description,
            "kind": self.kind,
            "level": self.level,
            "severity": self.severity,
            "owner": self.owner,
            "anchors": list(self.anchors),
            "remediation": self.remediation,
            "unwaivable": self.unwaivable,
        }
