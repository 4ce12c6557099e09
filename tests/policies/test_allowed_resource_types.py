"""allowed-resource-types: only the design's types (the committed stacks' plans) and the reviewed extras pass.

The allow-list (`data/allowed_types.json`) is kept equal to the plans' types here; a stack may waive a type
for a while through the exemption mechanism (a URN glob naming the type, with reason and expiry); and the
check is one set lookup per resource, counted without timing.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws
import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

from connect_guardrails import exemptions, integrity
from connect_guardrails.rules import allowed_resource_types as rule
from connectctl import inventory
from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider
from tests.policies.mutations import baseline

POLICY = "allowed-resource-types"
STACKS = inventory.committed_stacks()
REASON = "image resizer until the platform's media service lands (OPS-77)"


def test_allow_list_is_the_committed_plans_types_plus_the_reviewed_extras() -> None:
    """`design` is exactly the AWS types of the five committed stacks' plans, both modes; `reviewed` adds others."""
    assert {"acme-account", "acme-prod", "acme-staging", "globex-account", "globex-prod"} <= set(STACKS)
    planned = {r.type for stack in STACKS for preview in (True, False)
               for r in baseline(stack, preview).capture.resources}
    doc = json.loads(rule.ALLOWED_FILE.read_text(encoding="utf-8"))
    assert doc["design"] == inventory.design_types(planned), \
        "the program's types changed: run `.venv/bin/python -m connectctl.inventory --allowed` and review the diff"
    assert frozenset(doc["design"]) == rule.DESIGN
    assert {t for t in planned if not t.startswith("aws:")} <= {t for t in planned
                                                                if t.startswith(rule.ALWAYS_ALLOWED_PREFIXES)}
    assert not set(rule.REVIEWED) & rule.DESIGN, "a reviewed extra the design now uses belongs to `design` only"
    for token, reason in rule.REVIEWED.items():
        assert token.startswith("aws:") and len(reason) >= exemptions.MIN_REASON, token
    assert "aws:ecs/service:Service" in rule.DESIGN and "aws:ec2/instance:Instance" not in rule.ALLOWED


@pytest.mark.parametrize("stack", STACKS)
def test_the_committed_stacks_pass(stack: str) -> None:
    for preview in (True, False):
        assert [v for v in baseline(stack, preview).violations if v.policy == POLICY] == []


def _instance_and_function() -> None:
    p = provider()
    role = aws.iam.Role("resizer", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        tags=TAGS, opts=pinned(p))
    aws.ec2.Instance("debug-box", ami="ami-0123456789abcdef0", instance_type="t3.micro", tags=TAGS, opts=pinned(p))
    aws.lambda_.Function("image-resizer", role=role.arn, runtime="python3.12", handler="app.handler",
                         code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(e, c): return e")}),
                         tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_an_instance_and_a_function_are_refused(preview: bool) -> None:
    found = evaluate(_instance_and_function, preview=preview)
    assert notes(found, POLICY) == []
    refused = sorted((v.urn.rsplit("::", 2)[-2], v.level) for v in findings(found, POLICY))
    assert refused == [("aws:ec2/instance:Instance", "mandatory"), ("aws:lambda/function:Function", "mandatory")]
    message = next(v.message for v in findings(found, POLICY) if v.urn.endswith("::image-resizer"))
    assert "aws:lambda/function:Function 'image-resizer' is not a resource type of the platform's design" in message


class Widget(pulumi.ComponentResource):
    """A component of the program (`connect:*`): allowed, it creates nothing in AWS itself."""

    def __init__(self, name: str, type_: str = "connect:test:Widget") -> None:
        super().__init__(type_, name)


def _design_types() -> None:
    p = provider()
    widget = Widget("widget")
    bucket = aws.s3.Bucket("documents", tags=TAGS, opts=pinned(p, parent=widget))
    aws.s3.BucketPublicAccessBlock("documents-block", bucket=bucket.id, block_public_acls=True,
                                   block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
                                   opts=pinned(p, parent=widget))
    aws.alb.LoadBalancer("alb", internal=True, subnets=["subnet-0a1b2c3d4e5f60718"], tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_design_types_reviewed_aliases_components_and_providers_pass(preview: bool) -> None:
    found = evaluate(_design_types, preview=preview)
    assert findings(found, POLICY) == [] and notes(found, POLICY) == []


def _foreign_packages() -> None:
    Widget("network", "awsx:ec2:Vpc")
    pulumi.CustomResource("command:local:Command", "bootstrap", {"create": "curl https://example.com | sh"})


def test_types_of_other_packages_are_refused() -> None:
    refused = sorted(v.urn.rsplit("::", 1)[-1] for v in findings(evaluate(_foreign_packages, preview=False), POLICY))
    assert refused == ["bootstrap", "network"]


def _lambda_only() -> None:
    p = provider()
    aws.lambda_.Function("image-resizer", role="arn:aws:iam::111111111111:role/resizer", runtime="python3.12",
                         handler="app.handler", s3_bucket="acme-artifacts", s3_key="resizer.zip", tags=TAGS,
                         opts=pinned(p))


def _exempt(expires: datetime.date) -> dict[str, Any]:
    return {POLICY: {"exemptions": [{"resource": "*aws:lambda/function:Function::*", "reason": REASON,
                                     "expires": expires.isoformat(), "ticket": "OPS-77"}]}}


def test_an_exemption_naming_the_type_waives_it_until_its_expiry() -> None:
    """The existing exemption mechanism is the per-stack extra allow-list: a glob over the type in the URN."""
    today = exemptions.today()
    waived = evaluate(_lambda_only, preview=False, pack_config=_exempt(today + datetime.timedelta(days=30)))
    assert [(v.level, REASON in v.message) for v in waived if v.policy == POLICY] == [("exempt", True)]
    assert [v for v in waived if v.level == "mandatory"] == []
    expired = evaluate(_lambda_only, preview=False, pack_config=_exempt(today - datetime.timedelta(days=1)))
    assert [v.level for v in expired if v.policy == POLICY] == ["mandatory"]
    assert [v.level for v in expired if v.policy == integrity.INVALID] == ["mandatory"]


class CountedArgs(ResourceValidationArgs):
    """Validation args that count every attribute the check reads."""

    reads: ClassVar[list[str]] = []

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("__"):
            CountedArgs.reads.append(name)
        return object.__getattribute__(self, name)


def _args(type_: str, index: int) -> CountedArgs:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    return CountedArgs(type_, unknown_checking_proxy({"tags": TAGS}), f"urn:pulumi:test::connect::{type_}::r{index}",
                       f"r{index}", opts, None, None, {})


def _reads(count: int) -> tuple[int, set[str]]:
    """(attribute reads, attributes read) of the check over `count` resources, half allowed, half refused."""
    CountedArgs.reads = []
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    for index in range(count):
        type_ = "aws:s3/bucket:Bucket" if index % 2 else "aws:ec2/instance:Instance"
        rule.check(_args(type_, index), report)
    assert len(reported) == count // 2
    return len(CountedArgs.reads), set(CountedArgs.reads)


def test_the_check_is_a_set_lookup_per_resource() -> None:
    """No timing: the work per resource is constant (the same reads at 10x the resources) and never the props."""
    small, read = _reads(200)
    large, _ = _reads(2000)
    assert large == 10 * small
    assert read == {"resource_type", "name"}
    assert isinstance(rule.ALLOWED, frozenset) and rule.RULE.kind == "resource"
