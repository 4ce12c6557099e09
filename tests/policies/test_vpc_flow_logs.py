"""vpc-flow-logs: per VPC a flow log of ALL traffic to a KMS-encrypted log group (via property dependencies)."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "vpc-flow-logs"


def _program(*, flow_log: bool = True, traffic: str = "ALL", encrypted: bool = True) -> None:
    p = provider()
    key = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    group = aws.cloudwatch.LogGroup("flow-logs", kms_key_id=key.arn if encrypted else None, retention_in_days=365,
                                    tags=TAGS, opts=pinned(p, protect=True))
    if flow_log:
        aws.ec2.FlowLog("flow-log", vpc_id=vpc.id, traffic_type=traffic, log_destination_type="cloud-watch-logs",
                        log_destination=group.arn, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_all_traffic_to_encrypted_group_passes(preview: bool) -> None:
    """In preview the key ARN, the group ARN and the VPC id are all unknown."""
    found = evaluate(_program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_vpc_without_flow_log_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(flow_log=False), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:ec2/vpc:Vpc::vpc")
    assert "has no flow log" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_rejected_traffic_only_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(traffic="REJECT"), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:ec2/flowLog:FlowLog::flow-log")
    assert "trafficType is 'REJECT'" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_unencrypted_log_group_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(encrypted=False), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].urn.endswith("aws:ec2/flowLog:FlowLog::flow-log")
    assert "log group 'flow-logs' has no kmsKeyId" in found[0].message
