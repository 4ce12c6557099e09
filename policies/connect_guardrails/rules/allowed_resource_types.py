"""allowed-resource-types: a stack declares only the resource types the platform's design uses.

Why: the other rules judge the types their authors thought of. A type no rule reads (an EC2 instance, a
Lambda function, an internet-facing API, a RAM share, a foreign transit gateway attachment) would pass
every one of them silently. This rule turns the catalogue around: the allow-list
(`data/allowed_types.json`) is every AWS type in the committed stacks' plans, both modes
(`design`), plus a short reviewed list, each with its reason (`reviewed`: aliases the same rules
judge, alarms). Everything else is refused before any specific rule exists for it; a test keeps
`design` equal to the plans' types, so a program change that brings in a new type also brings it
here, where a reviewer sees it.

Component and engine types (`connect:*`, `pulumi:*`: the stack, providers, stack references,
components) are always allowed: they create nothing in AWS themselves. Types of other packages
(`random:`, `tls:`, `command:`, `awsx:` components...) are refused like unlisted AWS types.

A stack that needs another type for a while says so with the pack's exemption mechanism
(`exemptions.py`), which already carries a reason, an expiry and a ticket: an exemption whose
`resource` glob names the type in the URN, e.g. `"*aws:lambda/function:Function::*"` or
`"*aws:lambda/function:Function::image-resizer"`, waives it until the expiry date; expired or
unexplained exemptions are mandatory findings of their own (`integrity.py`). So the rule is mandatory
but waivable.

Linear: one set lookup per resource (a resource policy, so no pass over the whole stack).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule

ALLOWED_FILE = Path(__file__).resolve().parent.parent / "data" / "allowed_types.json"
ALWAYS_ALLOWED_PREFIXES = ("connect:", "pulumi:")


def _load(path: Path = ALLOWED_FILE) -> tuple[frozenset[str], dict[str, str]]:
    """The design's types and the reviewed extras (type -> reason) of the committed allow-list."""
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(doc["design"]), dict(doc["reviewed"])


DESIGN, REVIEWED = _load()
ALLOWED = DESIGN | frozenset(REVIEWED)


def allowed(resource_type: str) -> bool:
    """The type may appear in a stack: a component or engine type, a design type or a reviewed extra."""
    return resource_type.startswith(ALWAYS_ALLOWED_PREFIXES) or resource_type in ALLOWED


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """The resource's type is on the allow-list (a set lookup: the type token is known even in preview)."""
    if allowed(args.resource_type):
        return
    report_violation(
        f"{args.resource_type} '{args.name}' is not a resource type of the platform's design: no guardrail "
        f"judges it yet, so it is refused until one does (or until the allow-list adds it with a reason)",
        None,
    )


RULE = Rule(
    id="allowed-resource-types", kind="resource", severity="high", check=check,
    description="Every resource is of a type the platform's design uses or the reviewed allow-list adds.",
    iso27001=("A.5.9", "A.8.9", "A.8.32"), ccm=("CCC-04", "DCS-06"),
    remediation=(
        "Use the platform's components instead of declaring another type. A type the design should use goes "
        "into policies/connect_guardrails/data/allowed_types.json (`reviewed`, with its reason) together with the "
        "rule that judges it; for a temporary need, add an exemption to this rule in the stack's pack config "
        "whose resource glob names the type (\"*aws:lambda/function:Function::*\"), with a reason and an expiry."
    ),
)
