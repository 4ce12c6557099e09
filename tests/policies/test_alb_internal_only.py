"""alb-internal-only: every load balancer (aws.lb and the aws.alb alias) is internal."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, provider

POLICY = "alb-internal-only"


def _program(internal: bool | None, alias: bool = False) -> None:
    p = provider()
    kind = aws.alb.LoadBalancer if alias else aws.lb.LoadBalancer
    kind("alb", internal=internal, subnets=["subnet-0a1b2c3d4e5f60718"], tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("alias", [False, True], ids=["lb", "alb"])
def test_internal_load_balancer_passes(preview: bool, alias: bool) -> None:
    found = evaluate(lambda: _program(True, alias), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("internal", "alias", "urn", "phrase"), [
    (None, False, "aws:lb/loadBalancer:LoadBalancer::alb", "absent (AWS default: internet-facing)"),
    (False, True, "aws:alb/loadBalancer:LoadBalancer::alb", "internal is False"),
], ids=["absent", "false-alias"])
def test_internet_facing_load_balancer_is_violation(preview: bool, internal: bool | None, alias: bool, urn: str,
                                                    phrase: str) -> None:
    found = findings(evaluate(lambda: _program(internal, alias), preview=preview), POLICY)
    assert_one_mandatory(found, urn, phrase)
