"""TenantNetwork's network ACLs: the rule table, what the plan declares, the flows it keeps working, and stability.

The flows are checked on the planned entries, evaluated as AWS does (lowest rule number first, first match
decides, nothing matched = denied; https://docs.aws.amazon.com/vpc/latest/userguide/nacl-basics.html), hop by hop:
a packet is judged by the outbound rules of the subnet it leaves and the inbound rules of the subnet it enters,
on its destination port, and its reply likewise in the other direction (ACLs are stateless).
"""

from __future__ import annotations

import functools
import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.network import DATA_PORTS, IN, NACL_RULES, OUT, RETURN_PORTS, TIERS, VPC, WORLD, AclRule
from connectctl.diff import Action, diff_plans
from connectctl.plan import Plan, plan_stack
from tests.components.plans import ROOT, plan, stack_copy

ACL = "aws:ec2/networkAcl:NetworkAcl"
ASSOCIATION = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
DEFAULT_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
SUBNET = "aws:ec2/subnet:Subnet"
VPC_TYPE = "aws:ec2/vpc:Vpc"
NACL_TYPES = (ACL, ASSOCIATION, DEFAULT_ACL)
ADMIN_PORTS = (22, 3389)
STANDBY = "connect:dr:DisasterRecovery$"

# acme-prod's addresses: its VPC is 10.40.0.0/16 (us-east-1a: app 10.40.0.0/20, data 10.40.16.0/21, ingress
# 10.40.24.0/22), its data centre dc-santiago 172.16.0.0/16.
TASK, OTHER_TASK, STORE, NAT, RESOLVER = "10.40.0.10", "10.40.32.10", "10.40.16.10", "10.40.24.5", "10.40.0.2"
INTERNET, S3, DATA_CENTRE = "198.51.100.7", "52.217.0.10", "172.16.5.5"
TASK_PORT, NAT_PORT = 40000, 2000  # Linux (Fargate) ephemeral port; a NAT gateway's translated port (1024-65535)


# --- the table ---------------------------------------------------------------------------------------------------


def _rules(tier: str, egress: bool) -> list[AclRule]:
    return [rule for rule in NACL_RULES[tier] if rule.egress == egress]


@pytest.mark.parametrize("tier", TIERS)
def test_each_tier_has_numbered_explained_rules_within_the_quota(tier: str) -> None:
    """Unique numbers per direction, in AWS's 1-32766 and in steps of 10; a reason on each; at most 20 per direction
    (the default quota: https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html)."""
    for egress in (IN, OUT):
        numbers = [rule.number for rule in _rules(tier, egress)]
        assert len(set(numbers)) == len(numbers) and all(1 <= n <= 32766 and n % 10 == 0 for n in numbers)
        assert 1 <= len(numbers) <= 20
    assert all(len(rule.why) > 20 for rule in NACL_RULES[tier])
    assert set(NACL_RULES) == set(TIERS)


@pytest.mark.parametrize("tier", TIERS)
def test_no_rule_admits_an_admin_port_from_the_world(tier: str) -> None:
    """nacl-no-world-admin-ports, on the table itself: nothing from 0.0.0.0/0 reaches 22 or 3389; replies come in
    on 1024-65535 split around 3389."""
    for rule in _rules(tier, IN):
        if rule.peer != WORLD or rule.action != "allow":
            continue
        assert rule.protocol != "-1", rule
        if rule.protocol in ("tcp", "udp"):
            low, high = rule.ports
            assert not [port for port in ADMIN_PORTS if low <= port <= high], rule
    assert RETURN_PORTS == ((1024, 3388), (3390, 65535))


def test_the_data_tier_admits_from_the_vpc_only_on_the_stores_ports() -> None:
    """Data tier: requests only from the VPC and only on the stores' ports; from anywhere else only replies (TCP
    1024-65535 but 3389, and never to a store's port: denied before the reply range) and path MTU discovery."""
    inbound = _rules("data", IN)
    requests = {rule.ports for rule in inbound if rule.peer == VPC and rule.protocol == "tcp"}
    assert requests == {(port, port) for port in DATA_PORTS}
    from_world = [rule for rule in inbound if rule.peer == WORLD and rule.action == "allow"]
    assert {(rule.protocol, rule.ports) for rule in from_world if rule.protocol != "icmp"} == {
        ("tcp", ports) for ports in RETURN_PORTS}
    denied = [rule for rule in inbound if rule.action == "deny"]
    assert {rule.ports for rule in denied} == {(port, port) for port in DATA_PORTS}
    assert max(rule.number for rule in denied) < min(rule.number for rule in from_world)
    assert [(r.protocol, r.ports) for r in _rules("data", OUT) if r.peer == WORLD] == [("tcp", (443, 443))]


# --- the plan ----------------------------------------------------------------------------------------------------


@functools.cache
def acme(standby: bool = False) -> list[dict[str, Any]]:
    """acme-prod's resources of one region (preview: the ACLs are built from the stack file, so known)."""
    return [r for r in plan("acme-prod", True)["resources"] if (STANDBY in r["urn"]) == standby]


def _by_type(resources: list[dict[str, Any]], type_: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in resources if r["type"] == type_}


def _entries(tier: str, standby: bool = False) -> dict[bool, list[dict[str, Any]]]:
    acl = _by_type(acme(standby), ACL)[f"{'dr-' if standby else ''}network-{tier}-nacl"]["inputs"]
    return {IN: acl["ingress"], OUT: acl["egress"]}


@pytest.mark.parametrize("standby", [False, True], ids=["primary", "standby"])
def test_one_acl_per_tier_with_the_tables_rules(standby: bool) -> None:
    """Three ACLs named by tier in each VPC, their entries the table's with the VPC's own range (the standby VPC
    has its own block, or the same), tagged with their tier."""
    resources = acme(standby)
    prefix = "dr-network" if standby else "network"
    (vpc,) = _by_type(resources, VPC_TYPE).values()
    cidr = vpc["inputs"]["cidrBlock"]
    acls = _by_type(resources, ACL)
    assert sorted(acls) == sorted(f"{prefix}-{tier}-nacl" for tier in TIERS)
    for tier in TIERS:
        acl = acls[f"{prefix}-{tier}-nacl"]
        assert acl["propertyDependencies"]["vpcId"] == [vpc["urn"]]
        assert acl["inputs"]["tags"]["connect:tier"] == tier
        for key, egress in (("ingress", IN), ("egress", OUT)):
            wanted = [{_camel(k): v for k, v in rule.entry(cidr).items()} for rule in _rules(tier, egress)]
            assert [_plain(e) for e in acl["inputs"][key]] == wanted, (tier, key)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def _plain(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: int(v) if isinstance(v, float) else v for k, v in entry.items()}


@pytest.mark.parametrize("stack", ["acme-prod", "globex-prod", "acme-staging"])
def test_every_subnet_is_in_its_tiers_acl_and_the_default_acl_is_closed(stack: str) -> None:
    """Each subnet (primary and standby) has exactly one association, keyed by tier and zone, with the ACL of its
    own tier; each VPC declares its default ACL with no entries and no subnets, after every association (adopting
    it revokes its allow-all rules at once), and nothing else points at the default ACL."""
    resources = plan(stack, True)["resources"]
    by_urn = {r["urn"]: r for r in resources}
    associations = [r for r in resources if r["type"] == ASSOCIATION]
    for subnet in (r for r in resources if r["type"] == SUBNET):
        mine = [a for a in associations if a["propertyDependencies"]["subnetId"] == [subnet["urn"]]]
        assert len(mine) == 1, subnet["name"]
        (acl_urn,) = mine[0]["propertyDependencies"]["networkAclId"]
        tier = subnet["inputs"]["tags"]["connect:tier"]
        assert by_urn[acl_urn]["type"] == ACL and by_urn[acl_urn]["inputs"]["tags"]["connect:tier"] == tier
        zone = subnet["inputs"]["availabilityZone"]
        assert mine[0]["name"] == subnet["name"].replace(f"-{tier}-{zone}", f"-{tier}-nacl-{zone}")
    vpcs = [r for r in resources if r["type"] == VPC_TYPE]
    defaults = [r for r in resources if r["type"] == DEFAULT_ACL]
    assert len(defaults) == len(vpcs) == (2 if stack != "acme-staging" else 1)
    for vpc in vpcs:
        (default,) = [d for d in defaults if d["propertyDependencies"]["defaultNetworkAclId"] == [vpc["urn"]]]
        assert default["inputs"]["ingress"] == [] and default["inputs"]["egress"] == []
        assert "subnetIds" not in default["inputs"]
        of_vpc = {a["urn"] for a in associations if by_urn[a["propertyDependencies"]["networkAclId"][0]]
                  ["propertyDependencies"]["vpcId"] == [vpc["urn"]]}
        assert of_vpc and of_vpc <= set(default["dependencies"])
    assert not [r for r in resources if r["type"] == ACL_RULE]  # inline entries only (they would conflict)
    for r in associations:  # fed by a tier ACL, never by a VPC's defaultNetworkAclId
        assert all(by_urn[u]["type"] == ACL for u in r["propertyDependencies"]["networkAclId"])


def test_nothing_of_the_acls_is_protected() -> None:
    """ACLs and associations follow their subnets: a removed zone takes its associations, nothing blocks `up`."""
    for r in acme() + acme(True):
        if r["type"] in NACL_TYPES:
            assert not r.get("protect") and not r.get("retainOnDelete"), r["name"]


# --- the flows ---------------------------------------------------------------------------------------------------


def admits(entries: list[dict[str, Any]], protocol: str, peer: str, port: int = 0,
           icmp: tuple[int, int] | None = None) -> bool:
    """AWS's evaluation: the lowest-numbered entry matching peer, protocol and destination port decides."""
    for entry in sorted(entries, key=lambda e: e["ruleNo"]):
        if ipaddress.ip_address(peer) not in ipaddress.ip_network(entry["cidrBlock"]):
            continue
        if entry["protocol"] != "-1":
            if entry["protocol"] != protocol:
                continue
            if protocol in ("tcp", "udp") and not entry["fromPort"] <= port <= entry["toPort"]:
                continue
            if protocol == "icmp" and (entry.get("icmpType"), entry.get("icmpCode")) != icmp:
                continue
        return bool(entry["action"] == "allow")
    return False


def leaves(tier: str, protocol: str, to: str, port: int = 0) -> bool:
    return admits(_entries(tier)[OUT], protocol, to, port)


def enters(tier: str, protocol: str, source: str, port: int = 0, icmp: tuple[int, int] | None = None) -> bool:
    return admits(_entries(tier)[IN], protocol, source, port, icmp)


def test_the_app_tier_reaches_the_internet_through_the_nat_gateway_and_gets_the_replies() -> None:
    # request: out of the app subnet, into the NAT's subnet, out of it translated
    assert leaves("app", "tcp", INTERNET, 443)
    assert enters("ingress", "tcp", TASK, 443) and enters("ingress", "udp", TASK, 53)
    assert leaves("ingress", "tcp", INTERNET, 443) and leaves("ingress", "udp", INTERNET, 123)
    # reply: into the NAT's subnet on its translated port, back out to the task, into the app subnet
    for protocol in ("tcp", "udp"):
        assert all(enters("ingress", protocol, INTERNET, port) for port in (1024, NAT_PORT, 3388, 3390, 65535))
        assert leaves("ingress", protocol, TASK, TASK_PORT)
        assert enters("app", protocol, INTERNET, TASK_PORT)
    # path MTU discovery on the way back
    assert enters("ingress", "icmp", INTERNET, icmp=(3, 4)) and enters("app", "icmp", INTERNET, icmp=(3, 4))


def test_s3_through_the_gateway_endpoint_from_the_app_and_data_tiers() -> None:
    """The gateway endpoint keeps S3's public addresses: the ACLs see 52.x, not the VPC."""
    for tier in ("app", "data"):
        assert leaves(tier, "tcp", S3, 443)
        assert enters(tier, "tcp", S3, TASK_PORT)


def test_the_services_reach_their_stores_and_the_stores_reply() -> None:
    for port in DATA_PORTS:
        assert leaves("app", "tcp", STORE, port) and enters("data", "tcp", TASK, port)
        assert leaves("data", "tcp", TASK, TASK_PORT) and enters("app", "tcp", STORE, TASK_PORT)
    assert leaves("data", "tcp", TASK, 700)  # an NFS client on a reserved port (below 1024) still gets its reply


def test_within_the_app_tier_across_zones_and_to_the_endpoints_and_resolver() -> None:
    assert leaves("app", "tcp", OTHER_TASK, 8080) and enters("app", "tcp", TASK, 8080)  # load balancer -> task
    assert enters("app", "tcp", TASK, 443)  # interface endpoint in another zone's app subnet
    for tier in ("app", "data"):  # DNS to a resolver inside the VPC (the base + 2 one is never filtered anyway)
        assert leaves(tier, "udp", RESOLVER, 53) and leaves(tier, "tcp", RESOLVER, 53)
        assert enters(tier, "udp", RESOLVER, TASK_PORT) and enters(tier, "tcp", RESOLVER, TASK_PORT)
    assert leaves("data", "tcp", OTHER_TASK, 443) and enters("data", "tcp", OTHER_TASK, TASK_PORT)  # endpoints


def test_the_client_data_centre_over_the_vpn() -> None:
    """HTTPS to the internal load balancer from the data centre, and the services' calls to its business services,
    both ways; not the data stores (their groups admit services only, and the ACL only the VPC)."""
    assert enters("app", "tcp", DATA_CENTRE, 443) and leaves("app", "tcp", DATA_CENTRE, 51000)
    assert leaves("app", "tcp", DATA_CENTRE, 8443) and enters("app", "tcp", DATA_CENTRE, TASK_PORT)
    assert not any(enters("data", "tcp", DATA_CENTRE, port) for port in DATA_PORTS)


@pytest.mark.parametrize("tier", TIERS)
def test_the_world_reaches_no_admin_port_and_no_low_port(tier: str) -> None:
    for protocol in ("tcp", "udp"):
        assert not any(enters(tier, protocol, INTERNET, port) for port in (*ADMIN_PORTS, 20, 21, 80, 123))
    assert not any(enters(tier, "tcp", DATA_CENTRE, port) for port in ADMIN_PORTS)
    assert not enters(tier, "icmp", INTERNET, icmp=(8, 0))  # no echo requests from outside
    if tier != "app":
        assert not enters(tier, "tcp", INTERNET, 443)


def test_the_data_tier_sends_nothing_out_but_https_and_within_the_vpc() -> None:
    assert not leaves("data", "tcp", INTERNET, 80) and not leaves("data", "udp", INTERNET, 53)
    assert leaves("data", "tcp", INTERNET, 443)  # the route table, not the ACL, keeps it from the internet: no route


# --- stability ---------------------------------------------------------------------------------------------------


STACK_FILE = ROOT / "stacks" / "Pulumi.acme-prod.yaml"


def _plan(tmp: Path, name: str, key: str, change: dict[str, Any]) -> Plan:
    """acme-prod with `change` merged into one config key, planned in update mode."""
    folder = tmp / name
    folder.mkdir()
    return plan_stack(config_file=stack_copy(folder, "acme-prod", lambda config: config[key].update(change)),
                      preview=False)


def _acl_changes(old: Plan, new: Plan) -> dict[str, list[str]]:
    """Per action, the ACL resources (ACLs, associations, default ACLs) the change touches."""
    found: dict[str, list[str]] = {}
    for r in diff_plans(old, new).resources:
        if r.type in NACL_TYPES:
            found.setdefault(r.action.value, []).append(r.name)
    return {action: sorted(names) for action, names in found.items()}


def test_adding_a_zone_only_adds_that_zones_associations(tmp_path: Path) -> None:
    """No ACL or existing association is updated or replaced; the new zone's subnets (and, with the zone count,
    the standby's) get their own associations; the default ACL waits for them too, which changes no input."""
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    three = _plan(tmp_path, "three", "connect:network", {"availabilityZones": zones})
    four = _plan(tmp_path, "four", "connect:network", {"availabilityZones": [*zones, "us-east-1d"]})
    changes = _acl_changes(three, four)
    assert set(changes) == {Action.create.value}, changes
    primary = [n for n in changes["create"] if not n.startswith("dr-")]
    assert primary == [f"network-{tier}-nacl-us-east-1d" for tier in sorted(TIERS)]
    assert all(n.startswith("dr-network-") for n in changes["create"] if n not in primary)
    removing = _acl_changes(four, three)
    assert set(removing) == {Action.delete.value} and sorted(removing["delete"]) == changes["create"]


def test_vpn_links_and_their_ranges_change_no_acl(tmp_path: Path) -> None:
    """The ACLs do not list the data centres' ranges (the load balancer's group does): adding a link, reaching both
    tiers, leaves every ACL resource as it was."""
    links = yaml.safe_load(STACK_FILE.read_text())["config"]["connect:vpn"]["connections"]
    link = {"name": "dc-lima", "peerIp": "190.98.211.10", "bgpAsn": 65002, "onPremCidrs": ["172.17.0.0/16"],
            "reachableTiers": ["app", "data"]}
    before = _plan(tmp_path, "one-link", "connect:vpn", {})
    after = _plan(tmp_path, "two-links", "connect:vpn", {"connections": [*links, link]})
    assert _acl_changes(before, after) == {}
