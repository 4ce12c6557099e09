"""ecs-task-readonly-rootfs: every container of a task definition has a read-only root filesystem.

Each entry of an `aws:ecs/taskDefinition:TaskDefinition`'s `containerDefinitions` (JSON) must set
`readonlyRootFilesystem` to true; writable paths belong on volumes. An unknown
`containerDefinitions` (preview) decides the outcome and is left to the engine's note.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import TASK_DEFINITION, container_label, containers
from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending


@applies_to(TASK_DEFINITION)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """readonlyRootFilesystem true on every container."""
    pending = Pending()
    writable = [
        container_label(container, index)
        for index, container in enumerate(containers(args, pending) or [])
        if container.get("readonlyRootFilesystem") is not True
    ]
    if writable:
        report_violation(
            f"task definition '{args.name}': {', '.join(writable)} can write to the root filesystem; set "
            f"readonlyRootFilesystem to true and mount volumes for writable paths",
            None,
        )
    pending.settle()


RULE = Rule(
    id="ecs-task-readonly-rootfs", kind="resource", level="advisory", severity="medium", owner="client", check=check,
    description="Every container of a task definition has a read-only root filesystem.",
    anchors=("FSBP ECS.5",), iso27001=("A.8.9", "A.8.19"), ccm=("CCC-04", "IVS-04"),
    remediation=(
        "Set \"readonlyRootFilesystem\": true in each container definition; give paths the application writes "
        "(/tmp, caches) a volume or bind mount."
    ),
)
