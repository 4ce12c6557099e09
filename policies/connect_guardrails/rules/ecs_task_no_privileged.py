"""ecs-task-no-privileged: task definitions use awsvpc networking and no privileged containers.

On an `aws:ecs/taskDefinition:TaskDefinition`:
- `networkMode` must be `awsvpc` (absent means `bridge` on EC2; `host` shares the host's network);
- `pidMode` and `ipcMode` must not be `host`;
- in `containerDefinitions` (JSON) no container is `privileged`, and none adds the Linux
  capabilities SYS_ADMIN, NET_ADMIN or ALL (`linuxParameters.capabilities.add`, with or without the
  `CAP_` prefix).

`containerDefinitions` built from other resources' outputs is unknown in preview: that decides the
outcome, so after reporting what the other inputs prove the rule leaves it to the engine's note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import TASK_DEFINITION, container_label, containers
from connect_guardrails.rule import Rule
from connect_guardrails.util import Pending, get_raw, is_unknown

FORBIDDEN_CAPABILITIES = frozenset({"SYS_ADMIN", "NET_ADMIN", "ALL"})


def _added_capabilities(container: Mapping[str, Any]) -> list[str]:
    linux = container.get("linuxParameters")
    capabilities = linux.get("capabilities") if isinstance(linux, Mapping) else None
    added = capabilities.get("add") if isinstance(capabilities, Mapping) else None
    if not isinstance(added, list):
        return []
    found = []
    for value in added:
        name = str(value).upper()
        name = name.removeprefix("CAP_")
        if name in FORBIDDEN_CAPABILITIES:
            found.append(str(value))
    return found


def _task_problems(args: ResourceValidationArgs, pending: Pending) -> list[str]:
    problems: list[str] = []
    mode = get_raw(args.props, "networkMode")
    if is_unknown(mode):
        pending.add(args.props, "networkMode")
    elif mode != "awsvpc":
        problems.append(
            f"networkMode is {mode!r}, not 'awsvpc'" if mode else "networkMode is not set (bridge on EC2), not 'awsvpc'"
        )
    for key in ("pidMode", "ipcMode"):
        value = get_raw(args.props, key)
        if is_unknown(value):
            pending.add(args.props, key)
        elif value == "host":
            problems.append(f"{key} is 'host' (shares the host's namespace)")
    return problems


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """awsvpc; no host pid/ipc; no privileged container; no SYS_ADMIN/NET_ADMIN/ALL capability."""
    if args.resource_type != TASK_DEFINITION:
        return
    pending = Pending()
    problems = _task_problems(args, pending)
    for index, container in enumerate(containers(args, pending) or []):
        label = container_label(container, index)
        if container.get("privileged") is True:
            problems.append(f"{label} is privileged")
        added = _added_capabilities(container)
        if added:
            problems.append(f"{label} adds Linux capabilities {', '.join(added)}")
    if problems:
        report_violation(
            f"task definition '{args.name}': {'; '.join(problems)}; tasks run in awsvpc mode without privileges "
            f"or host namespaces",
            None,
        )
    pending.settle()


RULE = Rule(
    id="ecs-task-no-privileged",
    description="Task definitions use awsvpc networking, no host PID/IPC namespace and no privileged containers.",
    kind="resource",
    level="mandatory",
    severity="high",
    owner="client",
    anchors=("FSBP ECS.1", "FSBP ECS.4", "FSBP ECS.17"),
    iso27001=("A.8.2", "A.8.9"),
    ccm=("IAM-05", "IVS-04"),
    remediation=(
        "Declare the aws.ecs.TaskDefinition with network_mode='awsvpc', no pid_mode/ipc_mode 'host', and "
        "container definitions with privileged false and no SYS_ADMIN/NET_ADMIN/ALL in "
        "linuxParameters.capabilities.add."
    ),
    unwaivable=False,
    check=check,
)
