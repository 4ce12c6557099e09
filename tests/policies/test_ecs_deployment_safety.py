"""ecs-deployment-safety: circuit breaker with rollback, desiredCount in ignoreChanges (advisory)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.ecs_programs import assert_one_advisory, cluster, program_of, service, task_definition
from tests.policies.harness import evaluate, findings, notes

POLICY = "ecs-deployment-safety"


def _service(**kwargs: Any) -> Any:
    return program_of(lambda p: service(p, cluster(p), task_definition(p), **kwargs))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("ignore", [["desiredCount"], ["desired_count", "tags"]], ids=["pulumi-name", "python-name"])
def test_breaker_and_ignored_count_pass(ignore: list[str], preview: bool) -> None:
    """The SDK reports `desired_count` as the Pulumi property name `desiredCount`, as the engine sees it."""
    found = evaluate(_service(ignore_changes=ignore), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_code_deploy_controller_needs_no_breaker(preview: bool) -> None:
    found = evaluate(_service(breaker={}, deployment_controller={"type": "CODE_DEPLOY"}), preview=preview)
    assert findings(found, POLICY) == []


CASES: dict[str, tuple[dict[str, Any], str]] = {
    "no-breaker": ({"breaker": {}}, "deploymentCircuitBreaker.enable is not true"),
    "no-rollback": ({"breaker": {"enable": True, "rollback": False}}, "deploymentCircuitBreaker.rollback is not true"),
    "count-managed": ({"ignore_changes": []}, "desiredCount is not in ignoreChanges"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_unsafe_deployment_is_advisory(case: str, preview: bool) -> None:
    kwargs, phrase = CASES[case]
    found = findings(evaluate(_service(**kwargs), preview=preview), POLICY)
    assert_one_advisory(found, "aws:ecs/service:Service::api", phrase)
