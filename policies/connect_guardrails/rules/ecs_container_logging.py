"""ecs-container-logging: every container of a task definition sends its logs somewhere.

Each entry of an `aws:ecs/taskDefinition:TaskDefinition`'s `containerDefinitions` (JSON) must have
`logConfiguration.logDriver` `awslogs` with the option `awslogs-group` set, or `awsfirelens` (a log
router container forwards them). Whether the group is KMS-encrypted is the log group's own rule
(log-group-encrypted-retained). An unknown `containerDefinitions` (preview) decides the outcome and
is left to the engine's note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import TASK_DEFINITION, container_label, containers
from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending


def _problem(container: Mapping[str, Any]) -> str | None:
    config = container.get("logConfiguration")
    if not isinstance(config, Mapping) or not config.get("logDriver"):
        return "has no logConfiguration"
    driver = config.get("logDriver")
    if driver == "awsfirelens":
        return None
    if driver != "awslogs":
        return f"logs with driver {driver!r}, not 'awslogs' or 'awsfirelens'"
    options = config.get("options")
    if not isinstance(options, Mapping) or not options.get("awslogs-group"):
        return "uses awslogs without the option awslogs-group"
    return None


@applies_to(TASK_DEFINITION)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """awslogs with awslogs-group, or awsfirelens, on every container."""
    pending = Pending()
    problems = []
    for index, container in enumerate(containers(args, pending) or []):
        problem = _problem(container)
        if problem:
            problems.append(f"{container_label(container, index)} {problem}")
    if problems:
        report_violation(
            f"task definition '{args.name}': {'; '.join(problems)}; every container logs to CloudWatch "
            f"(awslogs with awslogs-group) or through FireLens",
            None,
        )
    pending.settle()


RULE = Rule(
    id="ecs-container-logging", kind="resource", severity="medium", check=check,
    description="Every container logs through awslogs to a named log group, or through FireLens.",
    anchors=("FSBP ECS.9", "NAG ECS7"), iso27001=("A.8.15",), ccm=("LOG-07", "LOG-08"),
    remediation=(
        "Give each container definition \"logConfiguration\": {\"logDriver\": \"awslogs\", \"options\": "
        "{\"awslogs-group\": <the service's KMS-encrypted log group>, \"awslogs-region\": ..., "
        "\"awslogs-stream-prefix\": ...}}."
    ),
)
