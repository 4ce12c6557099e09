"""ecs-container-insights: every ECS cluster has Container Insights on.

An `aws:ecs/cluster:Cluster` needs a `settings` entry named `containerInsights` with value `enabled`
or `enhanced`. An unknown `settings`, or an unknown name or value in an entry that might be the one,
decides the outcome and is left to the engine's preview note.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import CLUSTER
from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_unknown, plain

ON = frozenset({"enabled", "enhanced"})


def _on(value: object) -> bool:
    return isinstance(value, str) and value in ON


@applies_to(CLUSTER)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """settings has containerInsights enabled or enhanced."""
    pending = Pending()
    settings = plain(pending.read(args.props, "settings"))
    found: list[str] = []
    for index, entry in enumerate(settings if isinstance(settings, list) else []):
        if not isinstance(entry, Mapping):
            continue
        name, value = entry.get("name"), entry.get("value")
        if name == "containerInsights" and _on(value):
            return
        if name == "containerInsights" and not is_unknown(value):
            found.append(str(value))
        elif (is_unknown(name) or name == "containerInsights") and (is_unknown(value) or _on(value)):
            for key in ("name", "value"):
                if is_unknown(entry.get(key)):
                    pending.add(args.props, "settings", index, key)
    pending.settle()
    state = f"is {', '.join(repr(v) for v in found)}" if found else "is not set"
    report_violation(
        f"ECS cluster '{args.name}': Container Insights {state}; add settings "
        f"[{{name: 'containerInsights', value: 'enabled'}}]",
        None,
    )


RULE = Rule(
    id="ecs-container-insights", kind="resource", level="advisory", severity="low", check=check,
    description="ECS clusters have Container Insights enabled.",
    anchors=("FSBP ECS.12", "NAG ECS4"), iso27001=("A.8.6", "A.8.16"), ccm=("IVS-02",),
    remediation=(
        "Declare the aws.ecs.Cluster with settings=[{'name': 'containerInsights', 'value': 'enabled'}] "
        "(or 'enhanced')."
    ),
)
