"""TenantNetwork: the fixed CIDR plan, tiers, routes and endpoints as declared."""

from __future__ import annotations

import functools
import ipaddress
import itertools
from pathlib import Path

import pytest

from components.network import DATA_PORTS, TIERS, subnet_cidr
from connectctl.engine.project import load_project, load_stack
from connectctl.engine.runner import ProgramError, main_program, run_program
from tests.components.plans import DR, plan, stack_copy


@functools.cache
def acme() -> dict:
    """acme-prod's primary region (its pilot-light standby repeats the network in the DR region)."""
    doc = plan("acme-prod", True)
    return {**doc, "resources": [r for r in doc["resources"] if DR not in r["urn"]]}


def named(doc: dict, type_: str) -> dict[str, dict]:
    return {r["name"]: r for r in doc["resources"] if r["type"] == type_}


@pytest.mark.parametrize("vpc", ["10.40.0.0/16", "172.16.0.0/18", "192.168.16.0/20"])
def test_cidr_plan_fits_and_never_overlaps(vpc: str) -> None:
    net = ipaddress.IPv4Network(vpc)
    blocks = [ipaddress.IPv4Network(subnet_cidr(vpc, f"us-east-1{z}", t)) for z in "abcdef" for t in TIERS]
    assert all(b.subnet_of(net) and 16 <= b.prefixlen <= 28 for b in blocks)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(blocks, 2))


def test_slots_come_from_the_zone_letter() -> None:
    assert subnet_cidr("10.40.0.0/16", "us-east-1a", "app") == "10.40.0.0/20"
    assert subnet_cidr("10.40.0.0/16", "us-east-1a", "data") == "10.40.16.0/21"
    assert subnet_cidr("10.40.0.0/16", "us-east-1a", "ingress") == "10.40.24.0/22"
    assert subnet_cidr("10.40.0.0/16", "us-east-1c", "app") == "10.40.64.0/20"
    assert subnet_cidr("10.40.0.0/16", "eu-west-1c", "app") == subnet_cidr("10.40.0.0/16", "us-east-1c", "app")


def test_tiers_routes_and_no_public_ips() -> None:
    doc = acme()
    subnets = named(doc, "aws:ec2/subnet:Subnet")
    assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in subnets.values())
    assert {s["inputs"]["tags"]["connect:tier"] for s in subnets.values()} == set(TIERS)
    routes = named(doc, "aws:ec2/route:Route")
    tables = {r["urn"]: r["name"] for r in doc["resources"] if r["type"] == "aws:ec2/routeTable:RouteTable"}
    nats = {r["urn"]: r["name"] for r in doc["resources"] if r["type"] == "aws:ec2/natGateway:NatGateway"}
    igw = next(r["urn"] for r in doc["resources"] if r["type"] == "aws:ec2/internetGateway:InternetGateway")
    by_table: dict[str, list[dict]] = {}
    for route in routes.values():
        (table,) = route["propertyDependencies"]["routeTableId"]
        by_table.setdefault(tables[table], []).append(route)
    for zone in ("us-east-1a", "us-east-1b", "us-east-1c"):
        (ingress,) = by_table[f"network-ingress-rt-{zone}"]
        assert ingress["propertyDependencies"]["gatewayId"] == [igw]
        (app,) = by_table[f"network-app-rt-{zone}"]
        assert app["inputs"]["destinationCidrBlock"] == "0.0.0.0/0"
        assert [nats[u] for u in app["propertyDependencies"]["natGatewayId"]] == [f"network-nat-{zone}"]
        assert f"network-data-rt-{zone}" not in by_table  # the data tier has no internet route


def test_nat_gateways_live_in_the_ingress_tier() -> None:
    doc = acme()
    subnets = {r["urn"]: r["name"] for r in doc["resources"] if r["type"] == "aws:ec2/subnet:Subnet"}
    for nat in named(doc, "aws:ec2/natGateway:NatGateway").values():
        (subnet,) = nat["propertyDependencies"]["subnetId"]
        assert subnets[subnet] == nat["name"].replace("network-nat-", "network-ingress-")


def test_security_groups_between_tiers() -> None:
    doc = acme()
    groups = {r["urn"]: r["name"] for r in doc["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup"}
    # no tier-wide data group: each store has its own, which admits only the services that use it, on its port
    assert sorted(n for n in groups.values() if n.startswith("network-")) == ["network-sg-app", "network-sg-endpoints"]
    ingress = named(doc, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    rules = {n: r for n, r in ingress.items() if n.startswith("network-")}
    assert sorted(rules) == ["network-sg-endpoints-from-app-443"]
    for rule in rules.values():
        assert "cidrIpv4" not in rule["inputs"] and rule["inputs"]["description"]
        (source,) = rule["propertyDependencies"]["referencedSecurityGroupId"]
        assert groups[source] == "network-sg-app"
    store_groups = {r["urn"] for r in doc["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup"
                    and "connect:store" in r["inputs"]["tags"]}
    to_stores = [r for r in ingress.values() if set(r["propertyDependencies"]["securityGroupId"]) <= store_groups]
    assert to_stores and all(groups[r["propertyDependencies"]["referencedSecurityGroupId"][0]].startswith("platform-")
                             and r["inputs"]["fromPort"] in DATA_PORTS for r in to_stores)
    (default_sg,) = named(doc, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").values()
    assert default_sg["inputs"]["ingress"] == [] and default_sg["inputs"]["egress"] == []


def test_endpoints_keep_aws_traffic_off_the_nat() -> None:
    endpoints = named(acme(), "aws:ec2/vpcEndpoint:VpcEndpoint")
    services = {e["inputs"]["serviceName"].removeprefix("com.amazonaws.us-east-1."): e for e in endpoints.values()}
    assert set(services) == {"s3", "ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"}
    assert services["s3"]["inputs"]["vpcEndpointType"] == "Gateway"
    assert len(services["s3"]["propertyDependencies"]["routeTableIds"]) == 6  # app + data tables
    for name in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts"):
        assert services[name]["inputs"]["privateDnsEnabled"] is True
        assert len(services[name]["propertyDependencies"]["subnetIds"]) == 3


def test_flow_logs_encrypted_with_the_environment_key() -> None:
    doc = acme()
    (flow,) = named(doc, "aws:ec2/flowLog:FlowLog").values()
    assert flow["inputs"]["trafficType"] == "ALL"
    (group_urn,) = flow["propertyDependencies"]["logDestination"]
    group = next(r for r in doc["resources"] if r["urn"] == group_urn)
    (key_urn,) = group["propertyDependencies"]["kmsKeyId"]
    key = next(r for r in doc["resources"] if r["urn"] == key_urn)
    assert key["inputs"]["enableKeyRotation"] is True
    assert group["inputs"]["retentionInDays"] == 365
    assert group["protect"] and group["retainOnDelete"] and key["protect"] and key["retainOnDelete"]


def test_tenant_tags_on_every_taggable_resource() -> None:
    for r in acme()["resources"]:
        if r["type"].startswith("aws:") and "tags" in r["inputs"]:
            tags = r["inputs"]["tags"]
            assert tags["connect:client"] == "acme" and tags["connect:environment"] == "prod", r["urn"]
            assert tags["connect:managed-by"] == "connect" and tags["connect:cost-center"] == "acme-platform"


def test_allocation_for_a_zone_without_nat_is_refused_at_run_time(tmp_path: Path) -> None:
    """Zones given as a count are only known after the account answers: the program checks then."""
    project = load_project()
    path = stack_copy(tmp_path, "acme-staging", lambda config: config["connect:network"].update(
        egressIpAllocationIds={"us-east-1b": "eipalloc-0a1b2c3d4e5f60718"}))
    stack_file = load_stack(project, path=path)
    with pytest.raises(ProgramError, match=r"us-east-1b hold no NAT gateway; allowed: us-east-1a"):
        run_program(main_program(project.main), project="connect", stack="acme-staging",
                    config=stack_file.program_config(), secret_keys=[], preview=True, region="us-east-1",
                    account_id="111111111111", root=project.root)
