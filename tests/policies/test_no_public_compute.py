"""no-public-compute: no instance or launch template interface asks for a public IP."""

from __future__ import annotations

from collections.abc import Callable

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, assert_one_mandatory, evaluate, findings, notes, pinned, provider

POLICY = "no-public-compute"


def _instance(public: bool | None) -> None:
    p = provider()
    aws.ec2.Instance("bastion", ami="ami-0123456789abcdef0", instance_type="t3.micro",
                     associate_public_ip_address=public, tags=TAGS, opts=pinned(p))


def _template(public: str | None) -> None:
    p = provider()
    sg = aws.ec2.SecurityGroup("sg", description="workers", tags=TAGS, opts=pinned(p))
    aws.ec2.LaunchTemplate("workers", image_id="ami-0123456789abcdef0", network_interfaces=[
        aws.ec2.LaunchTemplateNetworkInterfaceArgs(security_groups=[sg.id], associate_public_ip_address=public),
    ], tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("program", [
    lambda: _instance(None), lambda: _instance(False), lambda: _template(None), lambda: _template("false"),
], ids=["instance-unset", "instance-false", "template-unset", "template-false"])
def test_private_compute_passes(preview: bool, program: Callable[[], None]) -> None:
    found = evaluate(program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_instance_with_public_ip_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _instance(True), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ec2/instance:Instance::bastion", "gets a public IP address")


@pytest.mark.parametrize("preview", [True, False])
def test_launch_template_with_public_ip_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _template("true"), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ec2/launchTemplate:LaunchTemplate::workers", "network interface(s) 0 a public IP")
