"""The pack's own integrity policies: exemptions and unwaivable rules, visible inside `pulumi preview`.

A policy sees only its own config and reports only at its own level, so a rule cannot say "my
exemption is invalid" as a mandatory finding while being advisory itself. These three stack policies
run last (after every `Analyze` and every other stack policy) and read what the rules noted in
`exemptions` during the same run:

- `exemptions` (mandatory): each exemption that cannot be honoured (reason under 20 characters,
  missing, malformed or past expiry, an unwaivable rule), and each unwaivable rule that did not run,
  which means the pack config disabled it.
- `exemptions-unused` (advisory): each valid exemption of a rule that ran and matched no finding.
- `exempted-findings` (advisory): each finding an exemption suppressed, with its reason, ticket and
  expiry, so the waiver stays visible in the engine's output (`connectctl` shows these as "exempt"
  under the rule itself). It runs last and closes the run (`exemptions.end_run`).

`connectctl` refuses a pack config that lowers `exemptions` or `exempted-findings` (or an unwaivable
rule); the engine cannot be stopped from applying one, which is why `exemptions` also reports an
unwaivable rule that did not run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from connect_guardrails import exemptions

INVALID = "exemptions"
UNUSED = "exemptions-unused"
EXEMPTED = "exempted-findings"
NAMES = (INVALID, UNUSED, EXEMPTED)


def _resource(entry: Any) -> Any:
    return entry.get("resource") if isinstance(entry, dict) else None


def check_invalid(unwaivable_rules: Iterable[tuple[str, str]]) -> Any:
    """The `exemptions` check, knowing which rules (id, kind) are unwaivable and so must always run.

    A resource rule runs once per `Analyze`, so with no resources at all only stack rules must have run.
    """
    fixed = tuple(unwaivable_rules)

    def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        must_run = [rule_id for rule_id, kind in fixed if args.resources or kind == "stack"]
        on = exemptions.today()
        for rule_id, (unwaivable, entries) in exemptions.CONFIGURED.items():
            for entry in entries:
                found = exemptions.problems(entry, unwaivable, on)
                if found:
                    report_violation(f"{rule_id}: the exemption for {_resource(entry)!r} is not applied: "
                                     f"{'; '.join(found)}.", None)
        for rule_id in must_run:
            if rule_id not in exemptions.CONFIGURED:
                report_violation(f"{rule_id}: this unwaivable rule did not run; the pack config must not "
                                 "disable it.", None)

    return check


def check_unused(_args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Valid exemptions of rules that ran which suppressed nothing: stale waivers to remove."""
    used = [item.exemption for item in exemptions.RECORDED]
    for rule_id, (unwaivable, entries) in exemptions.CONFIGURED.items():
        for entry in exemptions.valid(entries, unwaivable):
            if entry not in used:
                report_violation(f"{rule_id}: the exemption for {_resource(entry)!r} matched no finding; "
                                 "remove it.", None)


def check_exempted(_args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every suppressed finding, at its resource, with the exemption's reason, ticket and expiry."""
    for item in exemptions.RECORDED:
        report_violation(f"{item.policy}: {item.message}{exemptions.suffix(item.exemption)}", item.urn or None)
    exemptions.end_run()


def policies(unwaivable_rules: Iterable[tuple[str, str]]) -> list[Policy]:
    """The three integrity policies, to be placed after every rule of the pack."""
    return [
        StackValidationPolicy(
            name=INVALID, description="Exemptions must be valid and unwaivable rules must run.",
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH,
            validate=check_invalid(unwaivable_rules),
        ),
        StackValidationPolicy(
            name=UNUSED, description="Exemptions that matched no finding should be removed.",
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.LOW, validate=check_unused,
        ),
        StackValidationPolicy(
            name=EXEMPTED, description="Findings suppressed by an exemption, shown with its reason.",
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.LOW, validate=check_exempted,
        ),
    ]
