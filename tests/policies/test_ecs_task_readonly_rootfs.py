"""ecs-task-readonly-rootfs: every container has readonlyRootFilesystem true (advisory)."""

from __future__ import annotations

import pytest

from tests.policies.ecs_programs import DROP, assert_one_advisory, container, program_of, task_definition
from tests.policies.harness import evaluate, findings, notes

POLICY = "ecs-task-readonly-rootfs"


@pytest.mark.parametrize("preview", [True, False])
def test_readonly_containers_pass(preview: bool) -> None:
    found = evaluate(program_of(lambda p: task_definition(p, container(), container(name="sidecar"))),
                     preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("value", [False, DROP], ids=["false", "unset"])
def test_writable_root_filesystem_is_advisory(value: object, preview: bool) -> None:
    program = program_of(lambda p: task_definition(p, container(), container(name="sidecar",
                                                                             readonlyRootFilesystem=value)))
    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_advisory(found, "aws:ecs/taskDefinition:TaskDefinition::api",
                        "container 'sidecar' can write to the root filesystem")
