"""alb-hardening: drop invalid headers, defensive/strictest desync mode, deletion protection (when required)."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "alb-hardening"
NON_PRODUCTION = {POLICY: {"requireDeletionProtection": False}}


def _program(*, drop: bool | None = True, desync: str | None = "strictest", protect: bool | None = True,
             kind: str = "application") -> None:
    p = provider()
    aws.lb.LoadBalancer("alb", internal=True, load_balancer_type=kind, subnets=["subnet-0a1b2c3d4e5f60718"],
                        drop_invalid_header_fields=drop, desync_mitigation_mode=desync,
                        enable_deletion_protection=protect, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("kwargs", "config"), [
    ({}, None),
    ({"desync": None}, None),  # absent: the AWS default, defensive
    ({"protect": None}, NON_PRODUCTION),
    ({"kind": "network", "drop": None, "desync": None}, None),
], ids=["hardened", "default-desync", "non-production", "network"])
def test_hardened_load_balancer_passes(preview: bool, kwargs: dict[str, Any], config: dict[str, Any] | None) -> None:
    found = evaluate(lambda: _program(**kwargs), preview=preview, pack_config=config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_every_missing_item_in_one_advisory_finding(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(drop=None, desync="monitor", protect=False), preview=preview), POLICY)
    assert len(found) == 1, found
    assert found[0].level == "advisory"
    assert found[0].urn.endswith("aws:lb/loadBalancer:LoadBalancer::alb")
    assert ("dropInvalidHeaderFields is not true; desyncMitigationMode is 'monitor', not 'defensive' or 'strictest'; "
            "enableDeletionProtection is not true") in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_missing_deletion_protection_only_where_required(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(protect=None), preview=preview), POLICY)
    assert len(found) == 1 and found[0].level == "advisory"
    assert "is not hardened: enableDeletionProtection is not true" in found[0].message
    assert findings(evaluate(lambda: _program(protect=None), preview=preview, pack_config=NON_PRODUCTION), POLICY) == []
