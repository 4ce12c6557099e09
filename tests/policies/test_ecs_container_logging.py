"""ecs-container-logging: every container logs through awslogs with a group, or through FireLens."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.ecs_programs import DROP, container, program_of, task_definition
from tests.policies.harness import assert_one_mandatory, evaluate, findings, notes

POLICY = "ecs-container-logging"
FIRELENS = {"logDriver": "awsfirelens", "options": {"Name": "cloudwatch_logs", "region": "us-east-1"}}


@pytest.mark.parametrize("preview", [True, False])
def test_awslogs_and_firelens_pass(preview: bool) -> None:
    program = program_of(lambda p: task_definition(p, container(), container(name="app2", logConfiguration=FIRELENS)))
    found = evaluate(program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


CASES: dict[str, tuple[Any, str]] = {
    "none": (DROP, "container 'app' has no logConfiguration"),
    "no-group": ({"logDriver": "awslogs", "options": {"awslogs-region": "us-east-1"}},
                 "uses awslogs without the option awslogs-group"),
    "syslog": ({"logDriver": "syslog"}, "logs with driver 'syslog'"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_container_without_logs_is_violation(case: str, preview: bool) -> None:
    config, phrase = CASES[case]
    program = program_of(lambda p: task_definition(p, container(logConfiguration=config)))
    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ecs/taskDefinition:TaskDefinition::api", phrase)
