"""ecs-task-no-privileged: task definitions use awsvpc networking and no privileged containers.

On an `aws:ecs/taskDefinition:TaskDefinition`:
- `networkMode` must be `awsvpc` (absent means `bridge` on EC2; `host` shares the host's network);
- `pidMode` and `ipcMode` must not be `host`;
- in `containerDefinitions` (JSON) no container is `privileged`, and none adds any Linux capability
  (`linuxParameters.capabilities.add` lists none, with or without the `CAP_` prefix). Docker's default set
  is what a container needs; every addition widens what a compromised process can do to the task's other
  processes or the host. On Fargate the only capability a container may add is SYS_PTRACE
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_KernelCapabilities.html), which lets it
  trace and inject into the task's other processes (sidecars holding credentials included): refused too.
  Dropping capabilities (`drop`) is welcome.

`containerDefinitions` built from other resources' outputs is unknown in preview: that decides the
outcome, so after reporting what the other inputs prove the rule leaves it to the engine's note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import TASK_DEFINITION, container_label, containers
from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known


def _added_capabilities(container: Mapping[str, Any]) -> list[str]:
    """Every capability the container adds (`linuxParameters.capabilities.add`), as written."""
    linux = container.get("linuxParameters")
    capabilities = linux.get("capabilities") if isinstance(linux, Mapping) else None
    added = capabilities.get("add") if isinstance(capabilities, Mapping) else None
    if added is None or added == "":
        return []
    return [str(value) for value in (added if isinstance(added, list) else [added]) if value not in (None, "")]


def _task_problems(args: ResourceValidationArgs, pending: Pending) -> list[str]:
    problems: list[str] = []
    mode = pending.read(args.props, "networkMode")
    if is_known(mode) and mode != "awsvpc":
        problems.append(
            f"networkMode is {mode!r}, not 'awsvpc'" if mode else "networkMode is not set (bridge on EC2), not 'awsvpc'"
        )
    for key in ("pidMode", "ipcMode"):
        value = pending.read(args.props, key)
        if is_known(value) and value == "host":
            problems.append(f"{key} is 'host' (shares the host's namespace)")
    return problems


@applies_to(TASK_DEFINITION)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """awsvpc; no host pid/ipc; no privileged container; no added Linux capability."""
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
    id="ecs-task-no-privileged", kind="resource", severity="high", owner="client", check=check,
    description="Task definitions use awsvpc networking, no host PID/IPC namespace, no privileged containers and "
                "no added Linux capabilities.",
    anchors=("FSBP ECS.1", "FSBP ECS.4", "FSBP ECS.17"), iso27001=("A.8.2", "A.8.9"), ccm=("IAM-05", "IVS-04"),
    remediation=(
        "Declare the aws.ecs.TaskDefinition with network_mode='awsvpc', no pid_mode/ipc_mode 'host', and "
        "container definitions with privileged false and no linuxParameters.capabilities.add (drop what the "
        "container does not need instead)."
    ),
)
