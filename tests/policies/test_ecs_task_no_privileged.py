"""ecs-task-no-privileged: awsvpc, no host pid/ipc, no privileged container, no added capability."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_aws as aws
import pytest

from tests.policies.ecs_programs import container, program_of, task_definition
from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, provider

POLICY = "ecs-task-no-privileged"
URN = "aws:ecs/taskDefinition:TaskDefinition::api"


def _compliant() -> None:
    p = provider()
    task_definition(p, container(), container(name="proxy", linuxParameters={"capabilities": {"drop": ["ALL"]}}),
                    container(name="init", linuxParameters={"capabilities": {"add": [], "drop": ["NET_RAW"]}}))


@pytest.mark.parametrize("preview", [True, False])
def test_unprivileged_awsvpc_task_passes(preview: bool) -> None:
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _computed() -> None:
    """Container definitions built from another resource's output: unknown as a whole in preview."""
    p = provider()
    group = aws.cloudwatch.LogGroup("api-logs", retention_in_days=365, tags=TAGS, opts=pinned(p))
    definition = container(logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": group.name}})
    aws.ecs.TaskDefinition("api", family="api", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
                           cpu="256", memory="512", container_definitions=pulumi.Output.json_dumps([definition]),
                           tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_computed_definitions_decide_only_when_known(preview: bool) -> None:
    """Unknown containerDefinitions is a deciding unknown: the engine's note in preview, clean on update."""
    found = evaluate(_computed, preview=preview)
    assert findings(found, POLICY) == []
    assert len(notes(found, POLICY)) == (1 if preview else 0)


CASES: dict[str, tuple[Callable[[aws.Provider], object], str]] = {
    "privileged": (lambda p: task_definition(p, container(privileged=True)), "container 'app' is privileged"),
    "sys-admin": (lambda p: task_definition(p, container(linuxParameters={"capabilities": {"add": ["SYS_ADMIN"]}})),
                  "adds Linux capabilities SYS_ADMIN"),
    "cap-net-admin": (
        lambda p: task_definition(p, container(linuxParameters={"capabilities": {"add": ["CAP_NET_ADMIN"]}})),
        "adds Linux capabilities CAP_NET_ADMIN"),
    "sys-ptrace": (
        lambda p: task_definition(p, container(linuxParameters={"capabilities": {"add": ["SYS_PTRACE"]}})),
        "adds Linux capabilities SYS_PTRACE"),
    "any-addition": (
        lambda p: task_definition(p, container(name="proxy", linuxParameters={"capabilities": {
            "add": ["NET_BIND_SERVICE", "CHOWN"], "drop": ["ALL"]}})),
        "container 'proxy' adds Linux capabilities NET_BIND_SERVICE, CHOWN"),
    "bridge": (lambda p: task_definition(p, network_mode="bridge", requires_compatibilities=["EC2"]),
               "networkMode is 'bridge', not 'awsvpc'"),
    "host-pid": (lambda p: task_definition(p, pid_mode="host", requires_compatibilities=["EC2"]),
                 "pidMode is 'host'"),
    "host-ipc": (lambda p: task_definition(p, ipc_mode="host", requires_compatibilities=["EC2"]),
                 "ipcMode is 'host'"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_privileges_are_violations(case: str, preview: bool) -> None:
    build, phrase = CASES[case]
    found = findings(evaluate(program_of(build), preview=preview), POLICY)
    assert_one_mandatory(found, URN, phrase)

