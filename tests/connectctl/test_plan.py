"""`connectctl plan`: the offline plan of the real stacks, through the real program and pack."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from connectctl.engine.project import load_project
from connectctl.plan import plan_stack
from tests.components.plans import planned, primary

ROOT = Path(__file__).resolve().parents[2]
STACKS = load_project().stacks()
RESOURCE_KEYS = ["urn", "type", "name", "parent", "provider", "custom", "protect", "retainOnDelete",
                 "dependencies", "propertyDependencies", "inputs", "outputs"]


def test_stacks_present() -> None:
    assert {"acme-prod", "acme-staging", "globex-prod"} <= set(STACKS)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_plans_without_mandatory_violations(stack: str, preview: bool) -> None:
    result = planned(stack, preview)
    assert result.mandatory == [], [v.as_dict() for v in result.mandatory]
    assert not [v for v in result.violations if "can't run policy" in v.message]


@pytest.mark.parametrize("stack", STACKS)
def test_declared_retention_is_real(stack: str) -> None:
    """The pack trusts the connect:retain-on-delete tag; the program must back it with the option."""
    for r in planned(stack, True).as_json()["resources"]:
        if (r["inputs"].get("tags") or {}).get("connect:retain-on-delete") == "true":
            assert r["retainOnDelete"], r["urn"]


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_json_document_shape(preview: bool) -> None:
    doc = planned("acme-prod", preview).as_json()
    assert list(doc) == ["project", "stack", "preview", "packConfig", "resources", "outputs", "violations", "errors",
                         "summary"]
    assert (doc["project"], doc["stack"], doc["preview"]) == ("connect", "acme-prod", preview)
    assert doc["packConfig"] == {"file": "stacks/policy.acme-prod.json", "derivedFrom": "stacks/Pulumi.acme-prod.yaml"}
    assert all(list(r) == RESOURCE_KEYS for r in doc["resources"])
    assert doc["summary"] == {"resources": len(doc["resources"]), "mandatory": 0,
                              "advisory": len([v for v in doc["violations"] if v["level"] == "advisory"]),
                              "providerCheck": 0, "awsRules": 0}
    assert doc["errors"] == []
    json.dumps(doc)  # serialisable as is


def test_acme_prod_network_as_promised() -> None:
    doc = planned("acme-prod", False).as_json()
    counts = Counter(r["type"] for r in doc["resources"] if "connect:dr:DisasterRecovery$" not in r["urn"])
    assert counts["aws:ec2/subnet:Subnet"] == 9
    assert counts["aws:ec2/natGateway:NatGateway"] == 3
    assert counts["aws:ec2/flowLog:FlowLog"] == 1
    eips = {r["urn"]: r for r in primary(doc, "aws:ec2/eip:Eip")}  # primary region
    used = set()
    for nat in primary(doc, "aws:ec2/natGateway:NatGateway"):
        (eip_urn,) = nat["propertyDependencies"]["allocationId"]
        eip = eips[eip_urn]
        assert eip["protect"] and eip["retainOnDelete"]
        assert nat["inputs"]["allocationId"] == eip["outputs"]["allocationId"]
        assert eip["name"].endswith(nat["name"].rsplit("nat-", 1)[1])  # the EIP of the NAT's own zone
        used.add(eip_urn)
    assert used == set(eips)
    assert doc["outputs"]["egressIps"] == [eips[u]["outputs"]["publicIp"] for u in sorted(eips)]


def test_every_aws_resource_uses_the_pinned_provider() -> None:
    doc = planned("acme-prod", False).as_json()
    providers = {p["urn"]: p for p in primary(doc, "pulumi:providers:aws")}
    assert sorted(p["inputs"]["region"] for p in providers.values()) == ["us-east-1", "us-west-2"]  # primary, DR
    for provider in providers.values():
        assert json.loads(provider["inputs"]["allowedAccountIds"]) == ["111111111111"]
        assert "connect-deployer" in provider["inputs"]["assumeRoles"]
    for r in doc["resources"]:
        if r["type"].startswith("aws:"):
            assert r["provider"].rsplit("::", 1)[0] in providers, r["urn"]


def test_plan_is_deterministic() -> None:
    first = plan_stack("acme-prod", preview=False).as_json()
    second = plan_stack("acme-prod", preview=False).as_json()
    assert first == second


def test_preview_hides_computed_values_update_shows_them() -> None:
    preview = planned("acme-prod", True).as_json()
    update = planned("acme-prod", False).as_json()
    assert preview["outputs"]["vpcId"] == "[unknown]"
    assert update["outputs"]["vpcId"].startswith("vpc-")
    assert all(ip.startswith(("198.51.100.", "203.0.113.")) for ip in update["outputs"]["egressIps"])
    arn = update["outputs"]["kmsKeyArn"]
    assert arn.startswith("arn:aws:kms:us-east-1:111111111111:key/")


def test_globex_brings_its_own_egress_ips() -> None:
    doc = planned("globex-prod", False).as_json()
    eips = primary(doc, "aws:ec2/eip:Eip")
    assert len(eips) == 3
    assert {e["outputs"]["allocationId"] for e in eips} == {
        "eipalloc-0a1b2c3d4e5f60718", "eipalloc-0b2c3d4e5f6071829", "eipalloc-0c3d4e5f607182930"}
    nat_allocations = {n["name"]: n["inputs"]["allocationId"] for n in primary(doc, "aws:ec2/natGateway:NatGateway")}
    assert nat_allocations["network-nat-eu-west-1a"] == "eipalloc-0a1b2c3d4e5f60718"


def test_staging_has_one_nat_for_two_zones() -> None:
    doc = planned("acme-staging", False).as_json()
    (nat,) = primary(doc, "aws:ec2/natGateway:NatGateway")
    app_routes = [r for r in primary(doc, "aws:ec2/route:Route") if r["name"].startswith("network-app-default-route")]
    assert len(app_routes) == 2
    assert all(r["propertyDependencies"]["natGatewayId"] == [nat["urn"]] for r in app_routes)
