"""alb-access-logs: application load balancers write access logs to a bucket."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, provider

POLICY = "alb-access-logs"


def _program(logs: dict[str, Any] | None, kind: str | None = "application") -> None:
    p = provider()
    bucket = aws.s3.Bucket("alb-logs", tags=TAGS, opts=pinned(p))
    access_logs = None if logs is None else aws.lb.LoadBalancerAccessLogsArgs(
        bucket=bucket.bucket if logs.get("bucket") else "", enabled=logs.get("enabled"))
    aws.lb.LoadBalancer("alb", internal=True, load_balancer_type=kind, subnets=["subnet-0a1b2c3d4e5f60718"],
                        access_logs=access_logs, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("logs", "kind"), [
    ({"bucket": True, "enabled": True}, "application"),
    ({"bucket": True, "enabled": True}, None),
    (None, "network"),
], ids=["application", "default-type", "network"])
def test_logging_load_balancer_passes(preview: bool, logs: dict[str, Any] | None, kind: str | None) -> None:
    """In preview the bucket name is unknown: it counts as set."""
    found = evaluate(lambda: _program(logs, kind), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("logs", "phrase"), [
    (None, "accessLogs.enabled is not true; accessLogs.bucket is not set"),
    ({"bucket": True, "enabled": False}, "accessLogs.enabled is not true)"),
    ({"bucket": False, "enabled": True}, "(accessLogs.bucket is not set)"),
], ids=["none", "disabled", "no-bucket"])
def test_load_balancer_without_logs_is_violation(preview: bool, logs: dict[str, Any] | None, phrase: str) -> None:
    found = findings(evaluate(lambda: _program(logs), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:lb/loadBalancer:LoadBalancer::alb", phrase)
