"""tenant-tags: every taggable AWS resource carries the tenant's tags in its own inputs.

Taggable = the resource type's constructor takes a tag map (`data/taggable_types.txt`, generated
from the installed pulumi-aws by `data/generate_taggable.py`). Provider `defaultTags` do not count:
they are not in the resource's inputs, so neither this pack nor a reviewer reading the plan sees them.
"""

from __future__ import annotations

from pathlib import Path

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known, known, plain
from connect_guardrails.util import config_of

TAGGABLE_FILE = Path(__file__).resolve().parent.parent / "data" / "taggable_types.txt"
TAGGABLE = frozenset(line.strip() for line in TAGGABLE_FILE.read_text(encoding="utf-8").splitlines() if line.strip())
REQUIRED = {"connect:client": "client", "connect:environment": "environment"}  # tag -> config key


@applies_to(*TAGGABLE)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Both tenant tags present (an unknown value counts as present) and equal to the configured values."""
    config = config_of(args)
    value = known(args.props, "tags")
    tags = plain(value) or {}
    missing = [key for key in REQUIRED if tags.get(key) in (None, "")]
    if missing:
        report_violation(
            f"{args.resource_type} '{args.name}' is missing tag(s) {', '.join(missing)}; every taggable "
            f"resource carries connect:client and connect:environment in its own tags",
            None,
        )
    pending = Pending()
    for key, option in REQUIRED.items():
        wanted = config.get(option)
        if not wanted or key in missing:
            continue
        found = pending.read(args.props, "tags", key)
        if is_known(found) and found != wanted:
            report_violation(
                f"{args.resource_type} '{args.name}' has tag {key}={found!r}, but this stack's {option} is "
                f"{wanted!r}; a stack carries one value per tag",
                None,
            )
    pending.settle()


RULE = Rule(
    id="tenant-tags", kind="resource", severity="medium", unwaivable=True, check=check,
    description="Every taggable AWS resource carries connect:client and connect:environment tags.",
    anchors=("FSBP ECS.13 pattern",), iso27001=("A.5.9", "A.5.13"), ccm=("DCS-06",),
    remediation=(
        "Give the resource tags={'connect:client': <client>, 'connect:environment': <environment>, ...} "
        "(the program's stack transformation adds them to every resource declared with a tags argument)."
    ),
    config={
        "client": {"type": "string", "description": "The value every connect:client tag must have."},
        "environment": {"type": "string", "description": "The value every connect:environment tag must have."},
    },
)
