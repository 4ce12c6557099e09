"""Rule metadata and the bridge to `pulumi_policy` policies.

Every guardrail is a `Rule`: its catalogue facts (id, owner, anchors, remediation...) beside the
function that checks it. `Rule.policy()` turns it into the `pulumi_policy` object the engine runs,
so the metadata and the check can never drift apart.

A rule module holds only its decision and its metadata:

    @applies_to(*LOAD_BALANCERS)              # the resource types (the guard)
    def check(args, report_violation):        # the decision
        internal = known(args.props, "internal")   # the property read; unknown: the engine's preview note
        ...
    RULE = Rule(id=..., check=check, ...)      # the metadata

A check that reports what it can prove before an unknown ends it reads through a `Pending`:

    pending = Pending()
    mode = pending.read(args.props, "networkMode")   # the raw value; unknown: recorded, in reading order
    if is_known(mode) and mode != "awsvpc":
        report_violation(...)
    pending.settle()                                 # reads the first recorded unknown: the engine's preview note

What checks share sits in one module per concern: `unknowns.py` (values not known in preview: `known`,
`Pending` and its `read`, `is_unknown`, `is_known`...), `iam.py` (policy documents, statements, principals),
`ecs_util.py` (container definitions), `data_util.py` (data stores, backups), `util.py` (lists, tags, regions,
ARNs, the stack index);
the SDK's private details the pack relies on are listed in `sdk.py`.
"""

from __future__ import annotations

import functools
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

from connect_guardrails import exemptions
from connect_guardrails.util import config_of

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


def account_config(description: str) -> dict[str, Any]:
    """A config property naming an AWS account (12 digits): `accountId`, `operatorAccountId`."""
    return {"type": "string", "pattern": "^[0-9]{12}$", "description": description}


def applies_to(*types: str) -> Callable[[ResourceCheck], ResourceCheck]:
    """A resource rule's check that runs only on resources of the given type tokens; any other is passed over
    without a read. The types stay readable as `check.resource_types` (and `Rule.resource_types`).

        @applies_to(*LOAD_BALANCERS)
        def check(args, report_violation):
            ...  # only the decision
    """
    allowed = frozenset(types)

    def decorate(check: ResourceCheck) -> ResourceCheck:
        @functools.wraps(check)
        def typed(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if args.resource_type in allowed:
                check(args, report_violation)

        typed.resource_types = allowed  # type: ignore[attr-defined]
        return typed

    return decorate


@dataclass(frozen=True)
class Rule:
    """One guardrail of the catalogue (`guardrails.md`).

    A rule module names only what differs from the defaults: most rules are stack rules, mandatory, the
    operator's, waivable and anchored in no outside benchmark.
    """

    id: str
    description: str
    severity: SeverityName
    remediation: str
    check: ResourceCheck | StackCheck
    kind: Kind = "stack"
    level: Level = "mandatory"
    owner: Owner = "operator"
    anchors: tuple[str, ...] = ()  # the outside checks it matches, e.g. "FSBP EC2.2", "CKV_AWS_23", "NAG IAM5"
    unwaivable: bool = False
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The controls the rule helps implement, by our mapping (`controls.py` lists them, with titles).
    iso27001: tuple[str, ...] = ()  # ISO/IEC 27001:2022 Annex A, e.g. "A.8.20"
    ccm: tuple[str, ...] = ()  # CSA Cloud Controls Matrix v4, e.g. "IVS-03"

    def __post_init__(self) -> None:
        if self.resource_types is not None and self.kind != "resource":  # `kind` defaults to "stack"
            raise ValueError(f"{self.id}: its check is declared with applies_to (a resource check): kind='resource'")

    @property
    def resource_types(self) -> frozenset[str] | None:
        """The type tokens a resource rule declared with `applies_to`; None when its check reads every type."""
        return getattr(self.check, "resource_types", None)

    @property
    def controls(self) -> dict[str, list[str]]:
        """The mapped controls by framework key (`controls.FRAMEWORKS`), as reports show them."""
        return {"iso27001": list(self.iso27001), "ccm": list(self.ccm)}

    def config_schema(self) -> dict[str, dict[str, Any]]:
        """The rule's config properties plus `exemptions`, which every rule accepts."""
        return {**self.config, "exemptions": exemptions.SCHEMA}

    def guarded_check(self) -> ResourceCheck | StackCheck:
        """The check, with findings on exempted resources passed to `exemptions.record` instead of reported.

        Only valid exemptions of a waivable rule suppress anything (`exemptions.valid`). Every call also
        notes the rule's exemptions, which is how the pack's integrity policies see that it ran.
        """
        check = self.check
        rule_id, unwaivable = self.id, self.unwaivable

        def guarded(args: Any, report_violation: ReportViolation) -> None:
            configured = config_of(args).get("exemptions")
            exemptions.note_configured(rule_id, unwaivable, configured)
            allowed = exemptions.valid(configured, unwaivable)
            if not allowed:
                check(args, report_violation)
                return
            analyzed, analyzed_name = getattr(args, "urn", None) or "", getattr(args, "name", None)

            def report(message: str, urn: str | None = None) -> None:
                target = urn or analyzed
                name = analyzed_name if not urn and analyzed_name else None
                exemption = exemptions.first_match(allowed, target, name)
                if exemption is None:
                    report_violation(message, urn)
                else:
                    exemptions.record(rule_id, target, message, exemption)

            check(args, report)

        guarded.__doc__ = check.__doc__
        return guarded

    def policy(self) -> Policy:
        """The `pulumi_policy` policy the engine runs for this rule (config schema includes `exemptions`)."""
        schema = PolicyConfigSchema(properties=self.config_schema())
        common: dict[str, Any] = {
            "name": self.id,
            "description": self.description,
            "enforcement_level": LEVELS[self.level],
            "config_schema": schema,
            "severity": SEVERITIES[self.severity],
        }
        if self.kind == "resource":
            return ResourceValidationPolicy(validate=cast(ResourceCheck, self.guarded_check()), **common)
        return StackValidationPolicy(validate=cast(StackCheck, self.guarded_check()), **common)

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
            "controls": self.controls,
        }
