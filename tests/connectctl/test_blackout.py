"""The DR region plans with the primary region blacked out, and nothing of the primary leaks into it."""

from __future__ import annotations

import functools

import pytest

from connectctl.engine.blackout import BLACKOUT, Leak, leaks, regions
from connectctl.engine.capture import CapturedResource
from connectctl.plan import Plan, plan_stack

DR_STACKS = {"acme-prod": ("us-east-1", "us-west-2"), "acme-staging": ("us-east-1", "us-west-2"),
             "globex-prod": ("eu-west-1", "eu-central-1")}


@functools.cache
def blacked_out(stack: str) -> Plan:
    primary, _ = DR_STACKS[stack]
    return plan_stack(stack, preview=False, blackout=primary)


@pytest.mark.parametrize("stack", sorted(DR_STACKS))
def test_the_dr_region_takes_nothing_from_the_primary_region(stack: str) -> None:
    primary, dr = DR_STACKS[stack]
    plan = blacked_out(stack)
    where = regions(plan.capture.resources, plan.config.region)
    in_dr = [r for r in plan.capture.resources if r.custom and where[r.urn] == dr]
    marked = [r for r in plan.capture.resources if any(BLACKOUT in str(v) for v in r.outputs.values())]
    assert in_dr and marked  # the standby was planned, and the primary region really answered blacked out
    assert all(where[r.urn] == primary for r in marked)
    assert leaks(plan.capture.resources, primary, plan.config.region) == []


def test_a_standby_that_reads_the_primary_regions_secrets_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect this proof was written for: standby task definitions reading secrets in the primary region."""
    import components.platform

    monkeypatch.setattr(components.platform, "in_region", lambda arn, region: arn)
    plan = plan_stack("globex-prod", preview=False, blackout="eu-west-1")
    found = {(leak.urn.rsplit("::", 1)[1], leak.path) for leak in leaks(plan.capture.resources, "eu-west-1",
                                                                        "eu-west-1")}
    assert found == {
        ("dr-platform-billing-api-task-definition", "containerDefinitions"),
        ("dr-platform-orders-api-task-definition", "containerDefinitions"),
        ("dr-platform-billing-api-execution-policy", "policy"),
        ("dr-platform-orders-api-execution-policy", "policy"),
    }


def _resource(urn: str, inputs: dict[str, object], provider: str = "") -> CapturedResource:
    return CapturedResource(urn=urn, type=urn.split("::")[-2].rsplit("$", 1)[-1], name=urn.rsplit("::", 1)[1],
                            custom=True, parent="", provider=provider, protect=False, retain_on_delete=False,
                            dependencies=[], property_dependencies={}, inputs=inputs, id="id")


def test_marked_values_arns_and_copy_sources() -> None:
    dr = _resource("urn:pulumi:s::p::pulumi:providers:aws::dr", {"region": "us-west-2"})
    ref = f"{dr.urn}::id"
    resources = [
        dr,
        _resource("urn:pulumi:s::p::aws:ec2/subnet:Subnet::a", {"vpcId": f"{BLACKOUT}vpc-1"}, ref),
        _resource("urn:pulumi:s::p::aws:iam/rolePolicy:RolePolicy::b",
                  {"policy": '{"Resource": ["arn:aws:ssm:us-east-1:111111111111:parameter/x"]}'}, ref),
        _resource("urn:pulumi:s::p::aws:kms/replicaKey:ReplicaKey::c",
                  {"primaryKeyArn": "arn:aws:kms:us-east-1:111111111111:key/mrk-1"}, ref),
        _resource("urn:pulumi:s::p::aws:ec2/subnet:Subnet::primary", {"vpcId": f"{BLACKOUT}vpc-1"}),
        _resource("urn:pulumi:s::p::aws:ec2/subnet:Subnet::fine", {"tags": {"a": "arn:aws:s3:::bucket"}}, ref),
    ]
    assert leaks(resources, "us-east-1", "us-east-1") == [
        Leak("urn:pulumi:s::p::aws:ec2/subnet:Subnet::a", "us-west-2", "vpcId", f"{BLACKOUT}vpc-1"),
        Leak("urn:pulumi:s::p::aws:iam/rolePolicy:RolePolicy::b", "us-west-2", "policy",
             '{"Resource": ["arn:aws:ssm:us-east-1:111111111111:parameter/x"]}'),
    ]
