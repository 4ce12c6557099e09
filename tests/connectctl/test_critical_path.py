"""`connectctl plan --critical-path`: the longest dependency chain weighted by typical creation times."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from connectctl.critical_path import (
    COMPONENT,
    DEFAULT,
    DURATIONS,
    ECS_SERVICE,
    CriticalPath,
    Duration,
    critical_path,
    duration_of,
    minutes,
    reaches,
    upstream,
    waits_on,
)
from connectctl.engine.capture import STACK_TYPE, CapturedResource
from tests.components.plans import planned

ROOT = Path(__file__).resolve().parents[2]
VPN_TYPES = ("aws:ec2/vpnGateway:VpnGateway", "aws:ec2/vpnConnection:VpnConnection",
             "aws:ec2/customerGateway:CustomerGateway", "aws:ec2/vpnConnectionRoute:VpnConnectionRoute",
             "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation")


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:tiny::connect::{type_}::{name}"


STACK = urn(STACK_TYPE, "tiny")
PROVIDER = urn("pulumi:providers:aws", "tenant")


def res(type_: str, name: str, *, parent: str = STACK, deps: tuple[str, ...] = (), custom: bool = True,
        props: dict[str, list[str]] | None = None, inputs: dict[str, object] | None = None) -> CapturedResource:
    return CapturedResource(
        urn=urn(type_, name), type=type_, name=name, custom=custom, parent=parent,
        provider=f"{PROVIDER}::04da6b54" if custom and not type_.startswith("pulumi:") else "", protect=False,
        retain_on_delete=False, dependencies=list(deps), property_dependencies=props or {}, inputs=inputs or {},
    )


def tiny() -> list[CapturedResource]:
    """A network component (VPC, subnet, IGW, NAT, route), a VPN component and a platform component.

    By hand, with the table: VPC 5 s; IGW 5 s after it (10); NAT 120 s (130); route 3 s (133).
    VPN gateway 90 s after the VPC (95), connection 420 s (515): the VPN completes at 515.
    ALB 180 s after the subnet (5 + 5 + 180 = 190), ECS service 30 s (220): the platform at 220.
    The stack's critical path is the VPN's: 515 s.
    """
    network = urn("connect:network:TenantNetwork", "network")
    vpn = urn("connect:vpn:SiteToSiteVpn", "vpn")
    platform = urn("connect:platform:ContainerPlatform", "platform")
    vpc, subnet = urn("aws:ec2/vpc:Vpc", "vpc"), urn("aws:ec2/subnet:Subnet", "subnet")
    igw, nat = urn("aws:ec2/internetGateway:InternetGateway", "igw"), urn("aws:ec2/natGateway:NatGateway", "nat")
    gateway, alb = urn("aws:ec2/vpnGateway:VpnGateway", "gateway"), urn("aws:lb/loadBalancer:LoadBalancer", "alb")
    return [
        res(STACK_TYPE, "tiny", parent="", custom=False),
        res("pulumi:providers:aws", "tenant"),
        res("connect:network:TenantNetwork", "network", custom=False),
        res("aws:ec2/vpc:Vpc", "vpc", parent=network),
        res("aws:ec2/subnet:Subnet", "subnet", parent=network, props={"vpcId": [vpc]}, deps=(vpc,)),
        res("aws:ec2/internetGateway:InternetGateway", "igw", parent=network, deps=(vpc,)),
        res("aws:ec2/natGateway:NatGateway", "nat", parent=network, deps=(subnet, igw)),
        res("aws:ec2/route:Route", "route", parent=network, props={"natGatewayId": [nat]}, deps=(nat,)),
        res("connect:vpn:SiteToSiteVpn", "vpn", custom=False),
        res("aws:ec2/vpnGateway:VpnGateway", "gateway", parent=vpn, props={"vpcId": [vpc]}, deps=(vpc,)),
        res("aws:ec2/vpnConnection:VpnConnection", "link", parent=vpn, deps=(gateway,)),
        res("connect:platform:ContainerPlatform", "platform", custom=False),
        res("aws:lb/loadBalancer:LoadBalancer", "alb", parent=platform, props={"subnets": [subnet]}, deps=(subnet,)),
        res(ECS_SERVICE, "service", parent=platform, props={"loadBalancers": [alb]}, deps=(alb,),
            inputs={"waitForSteadyState": False}),
    ]


def test_hand_computed_total_on_a_tiny_graph() -> None:
    path = critical_path(tiny())
    assert path.total == 0 + 5 + 90 + 420 == 515
    assert [s.name for s in path.chain] == ["tenant", "vpc", "gateway", "link"]
    assert [s.finish for s in path.chain] == [0, 5, 95, 515]
    assert all(b.start == a.finish for a, b in zip(path.chain, path.chain[1:], strict=False))
    assert path.chain[-1].component == "vpn [SiteToSiteVpn]" and path.chain[0].component == ""
    finishes = {label: chain[-1].finish for label, chain in path.components.items()}
    assert finishes == {"network [TenantNetwork]": 133, "vpn [SiteToSiteVpn]": 515,
                        "platform [ContainerPlatform]": 5 + 5 + 180 + 30}
    assert [s.name for s in path.components["network [TenantNetwork]"]] == ["tenant", "vpc", "igw", "nat", "route"]
    assert path.services_wait_on == ["network [TenantNetwork]", "platform [ContainerPlatform]"]
    assert path.services_never_wait_on == ["vpn [SiteToSiteVpn]"]


def test_a_dependency_on_a_component_waits_for_all_its_children() -> None:
    resources = tiny()
    vpn = urn("connect:vpn:SiteToSiteVpn", "vpn")
    resources.append(res("aws:cloudwatch/dashboard:Dashboard", "dashboard", deps=(vpn,)))
    path = critical_path(resources)
    assert path.total == 515 + DURATIONS["aws:cloudwatch/dashboard:Dashboard"].seconds
    assert [s.name for s in path.chain][-2:] == ["link", "dashboard"]


def test_custom_durations_and_defaults() -> None:
    path = critical_path(tiny(), duration=lambda r: Duration(1, "") if r.custom else COMPONENT)
    assert path.total == 5  # the longest chains have five resources: provider, vpc, igw, nat, route (or alb, service)
    unlisted = res("aws:xray/group:Group", "traces")
    assert duration_of(unlisted) == DEFAULT
    assert duration_of(res(ECS_SERVICE, "s", inputs={"waitForSteadyState": True})).seconds == 240
    gateway = res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", inputs={"vpcEndpointType": "Gateway"})
    assert duration_of(gateway).seconds == 10


def test_every_table_entry_says_where_its_figure_comes_from() -> None:
    assert all(d.note and d.seconds >= 0 for d in DURATIONS.values())
    assert minutes(425) == "7m 05s" and minutes(0) == "0m 00s"


DNS_TYPES = ("aws:route53/zone:Zone", "aws:route53/record:Record", "aws:route53/healthCheck:HealthCheck",
             "aws:route53/resolverEndpoint:ResolverEndpoint")


def test_dns_and_failover_durations() -> None:
    """Zone about a minute (INSYNC), a record change its propagation (~60 s), a health check an API call, an inbound
    resolver 2-4 min; a database restored from a snapshot tens of minutes, longer than a new cluster."""
    seconds = {t: DURATIONS[t].seconds for t in DNS_TYPES}
    assert seconds["aws:route53/zone:Zone"] == seconds["aws:route53/record:Record"] == 60
    assert seconds["aws:route53/healthCheck:HealthCheck"] <= 5
    assert 120 <= seconds["aws:route53/resolverEndpoint:ResolverEndpoint"] <= 240
    assert all("INSYNC" in DURATIONS[t].note for t in DNS_TYPES[:2])
    cluster = "aws:rds/cluster:Cluster"
    restored = duration_of(res(cluster, "ledger", inputs={"snapshotIdentifier": "arn:aws:rds:us-west-2:1:cluster-"
                                                                               "snapshot:awsbackup:copyjob-1"}))
    assert restored.seconds >= 2 * 600 > DURATIONS[cluster].seconds and "snapshot" in restored.note
    assert duration_of(res(cluster, "ledger", inputs={"snapshotIdentifier": None})) == DURATIONS[cluster]


def test_cycles_are_refused_and_ancestors_ignored() -> None:
    a, b = urn("aws:ec2/vpc:Vpc", "a"), urn("aws:ec2/vpc:Vpc", "b")
    with pytest.raises(ValueError, match="cycle"):
        critical_path([res(STACK_TYPE, "tiny", parent="", custom=False),
                       res("aws:ec2/vpc:Vpc", "a", deps=(b,)), res("aws:ec2/vpc:Vpc", "b", deps=(a,))])
    comp = urn("connect:x:X", "x")
    resources = [res(STACK_TYPE, "tiny", parent="", custom=False), res("connect:x:X", "x", custom=False),
                 res("aws:ec2/vpc:Vpc", "inner", parent=comp, deps=(comp,))]
    assert critical_path(resources).total == 5  # a child cannot wait for its own component to complete


@pytest.mark.parametrize("stack", ["acme-prod", "globex-prod"])
def test_no_service_waits_on_the_vpn(stack: str) -> None:
    """No path from any VPN resource to any ECS service: services never wait 5-10 minutes for a VPN link."""
    resources = planned(stack).capture.resources
    edges = waits_on(resources)
    vpn = [r.urn for r in resources if r.type in VPN_TYPES]
    services = [r.urn for r in resources if r.type == ECS_SERVICE]
    assert vpn and services
    assert reaches(edges, vpn, services) == []
    assert not upstream(edges, services) & set(vpn)
    path = critical_path(resources)
    assert any(label.startswith("vpn [") for label in path.services_never_wait_on)


def test_the_dr_region_vpn_takes_as_long_and_is_waited_on_by_no_service() -> None:
    """acme-prod's links end in both regions: the same component through the DR provider, the same typical times,
    and neither region's services wait on it."""
    resources = planned("acme-prod").capture.resources
    providers = {r.urn: str(r.inputs.get("region")) for r in resources if r.type == "pulumi:providers:aws"}
    connections = {providers[r.provider.rsplit("::", 1)[0]]: duration_of(r)
                   for r in resources if r.type == "aws:ec2/vpnConnection:VpnConnection"}
    assert sorted(connections) == ["us-east-1", "us-west-2"]
    assert connections["us-east-1"] == connections["us-west-2"] == DURATIONS["aws:ec2/vpnConnection:VpnConnection"]
    path = critical_path(resources)
    assert {"vpn [SiteToSiteVpn]", "dr-vpn [SiteToSiteVpn]"} <= set(path.services_never_wait_on)
    assert path.components["dns [ServiceNames]"][-1].finish > 0
    assert {s.type for s in path.components["dns [ServiceNames]"]} & set(DNS_TYPES)


def test_reaches_finds_a_chain_when_there_is_one() -> None:
    resources = tiny()
    edges = waits_on(resources)
    vpc, service = urn("aws:ec2/vpc:Vpc", "vpc"), urn(ECS_SERVICE, "service")
    chains = reaches(edges, [vpc], [service])
    assert chains and chains[0][0] == vpc and chains[0][-1] == service


def test_the_real_plan_chain_is_consistent() -> None:
    resources = planned("acme-prod").capture.resources
    path: CriticalPath = critical_path(resources)
    assert path.total == path.chain[-1].finish == sum(s.seconds for s in path.chain)
    assert path.total == max(chain[-1].finish for chain in path.components.values() if chain)
    by_urn = {r.urn: r for r in resources}
    edges = waits_on(resources)
    for before, after in zip(path.chain, path.chain[1:], strict=False):
        assert before.urn in upstream(edges, [after.urn]), (before.name, after.name)
        assert duration_of(by_urn[after.urn]).seconds == after.seconds


def test_cli_option() -> None:
    run = subprocess.run([sys.executable, "-m", "connectctl", "plan", "acme-prod", "--critical-path",
                          "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["summary"]["mandatory"] == 0
    assert doc["criticalPath"]["totalSeconds"] == doc["criticalPath"]["chain"][-1]["cumulativeSeconds"] > 0
    text = subprocess.run([sys.executable, "-m", "connectctl", "plan", "acme-prod", "--critical-path"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert text.returncode == 0 and "Critical path of connect/acme-prod:" in text.stdout
    assert "never on:" in text.stdout and "vpn [SiteToSiteVpn]" in text.stdout.split("never on:")[1]
