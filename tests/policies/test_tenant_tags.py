"""tenant-tags: taggable resources carry the tenant tags; the taggable list matches pulumi-aws."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from connect_guardrails.data import generate_taggable
from connect_guardrails.rules import tenant_tags
from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider

POLICY = "tenant-tags"
CONFIG = {POLICY: {"client": "acme", "environment": "prod"}}


def _program(tags: dict[str, str]) -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=tags, opts=pinned(p))
    subnet = aws.ec2.Subnet("app-a", vpc_id=vpc.id, cidr_block="10.0.0.0/20", tags=TAGS, opts=pinned(p))
    table = aws.ec2.RouteTable("app-rt-a", vpc_id=vpc.id, tags=TAGS, opts=pinned(p))
    # not taggable: must not be asked for tags
    aws.ec2.RouteTableAssociation("app-rta-a", subnet_id=subnet.id, route_table_id=table.id, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("pack_config", [None, CONFIG])
def test_tagged_resources_pass(preview: bool, pack_config: dict[str, object] | None) -> None:
    found = evaluate(lambda: _program(TAGS), preview=preview, pack_config=pack_config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_missing_tags_are_mandatory_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program({"Name": "vpc"}), preview=preview), POLICY)
    assert len(found) == 1
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith("aws:ec2/vpc:Vpc::vpc")
    assert "missing tag(s) connect:client, connect:environment" in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_tag_value_other_than_configured(preview: bool) -> None:
    other = {**TAGS, "connect:client": "globex"}
    found = findings(evaluate(lambda: _program(other), preview=preview, pack_config=CONFIG), POLICY)
    assert len(found) == 1
    assert found[0].urn.endswith("aws:ec2/vpc:Vpc::vpc")
    assert "connect:client='globex'" in found[0].message


def test_taggable_types_file_is_current() -> None:
    """Fails when pulumi-aws changed: rerun policies/connect_guardrails/data/generate_taggable.py."""
    generated = generate_taggable.render(generate_taggable.taggable_types())
    committed = generate_taggable.OUTPUT.read_text(encoding="utf-8")
    assert generated == committed, "taggable_types.txt is stale: run data/generate_taggable.py"
    assert {"aws:ec2/vpc:Vpc", "aws:kms/key:Key", "aws:cloudwatch/logGroup:LogGroup"} <= tenant_tags.TAGGABLE
    assert "aws:ec2/routeTableAssociation:RouteTableAssociation" not in tenant_tags.TAGGABLE
