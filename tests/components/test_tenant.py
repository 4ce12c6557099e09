"""Tenant tags: merged directly when a resource's own tags are plain, through an Output when they are not."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.tenant import register_tenant_tags
from connectctl.engine.capture import CapturedResource
from connectctl.engine.runner import run_program

TENANT = SimpleNamespace(client="acme", environment_name="prod", cost_center="cc-1")
BASE = {"connect:client": "acme", "connect:environment": "prod", "connect:managed-by": "connect",
        "connect:cost-center": "cc-1"}


def vpcs(preview: bool) -> dict[str, CapturedResource]:
    def program() -> None:
        register_tenant_tags(TENANT)  # type: ignore[arg-type]
        first = aws.ec2.Vpc("none", cidr_block="10.0.0.0/16")
        aws.ec2.Vpc("plain", cidr_block="10.0.0.0/16", tags={"Name": "x", "connect:client": "mine"})
        aws.ec2.Vpc("empty", cidr_block="10.0.0.0/16", tags={})
        aws.ec2.Vpc("output-value", cidr_block="10.0.0.0/16", tags={"Name": first.id.apply(lambda i: f"n-{i}")})
        aws.ec2.Vpc("output", cidr_block="10.0.0.0/16", tags=first.id.apply(lambda i: {"Name": f"d-{i}"}))
        aws.ec2.Vpc("secret", cidr_block="10.0.0.0/16", tags={"Name": pulumi.Output.secret("s")})

    capture = run_program(program, project="connect", stack="test", config={}, secret_keys=[], preview=preview,
                          region="us-east-1", account_id="111111111111")
    return {r.name: r for r in capture.resources if r.type == "aws:ec2/vpc:Vpc"}


@pytest.mark.parametrize("preview", [True, False])
def test_plain_tags_are_merged_with_the_tenant_tags_winning(preview: bool) -> None:
    found = vpcs(preview)
    assert found["none"].inputs["tags"] == BASE
    assert found["empty"].inputs["tags"] == BASE
    assert found["plain"].inputs["tags"] == {"Name": "x", **BASE}
    for name in ("none", "plain", "empty"):
        assert found[name].property_dependencies.get("tags", []) == [] and found[name].dependencies == []


def test_tags_holding_outputs_are_merged_once_they_resolve() -> None:
    found = vpcs(preview=False)
    first = found["none"]
    tags: dict[str, Any] = found["output-value"].inputs["tags"]
    assert tags == {"Name": f"n-{first.id}", **BASE}
    assert found["output"].inputs["tags"] == {"Name": f"d-{first.id}", **BASE}
    for name in ("output-value", "output"):
        assert found[name].property_dependencies["tags"] == [first.urn]
    secret = found["secret"].inputs["tags"]
    assert secret["value"] == {"Name": "s", **BASE}  # still secret: wrapped as the engine stores it


def test_unknown_tags_in_preview_stay_unknown() -> None:
    found = vpcs(preview=True)
    assert found["output-value"].inputs["tags"] == found["output"].inputs["tags"] == \
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the SDK's unknown-value sentinel
