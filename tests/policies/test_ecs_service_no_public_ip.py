"""ecs-service-no-public-ip: networkConfiguration.assignPublicIp is never true."""

from __future__ import annotations

import pytest

from tests.policies.ecs_programs import cluster, service, task_definition
from tests.policies.harness import assert_one_mandatory, evaluate, findings, notes, provider

POLICY = "ecs-service-no-public-ip"


def _program(public_ip: bool = False) -> None:
    p = provider()
    service(p, cluster(p), task_definition(p), public_ip=public_ip)


@pytest.mark.parametrize("preview", [True, False])
def test_private_service_passes(preview: bool) -> None:
    """In preview the cluster and task definition ARNs are unknown; assignPublicIp is a literal."""
    found = evaluate(_program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_public_ip_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(public_ip=True), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ecs/service:Service::api", "assigns public IP addresses")
