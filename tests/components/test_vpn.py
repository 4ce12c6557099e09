"""SiteToSiteVpn as planned from the real stack files: routing per tier and zone, tunnels, alarms, secrets."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from connectctl.engine.project import load_project, load_stack
from connectctl.plan import plan_stack
from tests.components.plans import plan, plan_copy, primary


def primary_links(doc: dict, type_: str) -> list[dict]:
    """Resources of a type in the primary region: a DR standby repeats network and platform, the DR region's end
    of the links is `dr-vpn`, its topic `dr-alerts`, and the resolvers (`dns-`) have rules of their own."""
    return [r for r in primary(doc, type_) if not r["name"].startswith(("dr-", "dns-"))]


def tables(doc: dict, tier: str) -> set[str]:
    return {r["urn"] for r in primary_links(doc, "aws:ec2/routeTable:RouteTable")
            if r["inputs"]["tags"]["connect:tier"] == tier}


def propagated(doc: dict) -> set[str]:
    return {u for r in primary_links(doc, "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation")
            for u in r["propertyDependencies"]["routeTableId"]}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_globex_two_links_as_promised(preview: bool) -> None:
    doc = plan("globex-prod", preview)
    connections = primary_links(doc, "aws:ec2/vpnConnection:VpnConnection")
    assert sorted(c["name"] for c in connections) == ["vpn-dc-bogota", "vpn-dc-lima"]
    alarms = primary_links(doc, "aws:cloudwatch/metricAlarm:MetricAlarm")
    for connection in connections:
        for n in (1, 2):
            assert connection["inputs"][f"tunnel{n}IkeVersions"] == ["ikev2"]
            logging = connection["inputs"][f"tunnel{n}LogOptions"]["cloudwatchLogOptions"]
            assert logging["logEnabled"] is True
            assert connection["inputs"][f"tunnel{n}DpdTimeoutAction"] == "restart"
        mine = [a for a in alarms if connection["urn"] in a["propertyDependencies"].get("dimensions", [])]
        assert sorted(a["inputs"]["tags"]["connect:severity"] for a in mine) == ["critical", "warning"]
        topic = primary_links(doc, "aws:sns/topic:Topic")[0]["urn"]
        assert all(a["propertyDependencies"]["alarmActions"] == [topic] for a in mine)
    # BGP: every app table of every zone learns the routes; lima also reaches the data tier
    assert tables(doc, "app") | tables(doc, "data") == propagated(doc)
    assert len(tables(doc, "app")) == 3


def test_data_tier_gets_nothing_unless_asked() -> None:
    doc = plan("acme-prod")
    assert propagated(doc) == tables(doc, "app")
    assert not propagated(doc) & tables(doc, "data")


def test_static_links_route_every_zone_of_the_reachable_tier() -> None:
    doc = plan("acme-staging")
    gateway = "aws:ec2/vpnGateway:VpnGateway::vpn-gateway"
    routes = [r for r in primary_links(doc, "aws:ec2/route:Route")
              if any(u.endswith(gateway) for u in r["propertyDependencies"].get("gatewayId", []))]
    by_table: dict[str, set[str]] = {}
    for route in routes:
        (table,) = route["propertyDependencies"]["routeTableId"]
        by_table.setdefault(table, set()).add(route["inputs"]["destinationCidrBlock"])
    assert set(by_table) == tables(doc, "app")
    assert all(cidrs == {"172.16.0.0/16", "172.17.0.0/16"} for cidrs in by_table.values())
    static = primary_links(doc, "aws:ec2/vpnConnectionRoute:VpnConnectionRoute")
    assert sorted(r["inputs"]["destinationCidrBlock"] for r in static) == ["172.16.0.0/16", "172.17.0.0/16"]
    (connection,) = primary_links(doc, "aws:ec2/vpnConnection:VpnConnection")
    assert connection["inputs"]["staticRoutesOnly"] is True
    assert not propagated(doc)


def test_load_balancer_admits_on_prem_https_only() -> None:
    doc = plan("acme-prod")
    rules = [r for r in primary_links(doc, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r["inputs"].get("cidrIpv4")]
    assert [(r["inputs"]["cidrIpv4"], r["inputs"]["fromPort"], r["inputs"]["toPort"]) for r in rules] == [
        ("172.16.0.0/16", 443, 443)]
    (alb_sg,) = [r for r in primary_links(doc, "aws:ec2/securityGroup:SecurityGroup") if r["name"] == "platform-alb-sg"]
    assert rules[0]["propertyDependencies"]["securityGroupId"] == [alb_sg["urn"]]


@pytest.mark.parametrize("stack", ["acme-prod", "acme-staging", "globex-prod"])
@pytest.mark.parametrize("output", ["json", "text"])
def test_no_secret_value_in_any_plan_output(stack: str, output: str) -> None:
    """Scan the whole document: neither configured keys (their stand-ins) nor generated ones appear."""
    result = plan_stack(stack, preview=False)
    secrets = result.secrets()
    assert secrets or stack != "acme-prod"
    if output == "json":
        text = json.dumps(result.as_json())
    else:
        from rich.console import Console

        from connectctl.cli import render_text

        console = Console(record=True, width=200)
        render_text(result, console)
        text = console.export_text()
    for secret in secrets:
        assert secret not in text
    assert "generated_" not in text  # keys AWS generates are secret outputs too
    assert "offline_secret" not in text


def test_device_configuration_is_a_secret_output() -> None:
    doc = plan("globex-prod", False)
    assert doc["outputs"]["vpnDeviceConfigurations"] == "[secret]"
    lima = doc["outputs"]["vpnConnections"]["dc-lima"]
    assert len(lima["tunnelOutsideIps"]) == 2 and lima["customerGatewayId"].startswith("cgw-")


SECOND = {"name": "dc-valparaiso", "peerIp": "200.27.10.10", "bgpAsn": 65020, "onPremCidrs": ["172.20.0.0/16"]}


def test_reordering_connections_changes_no_urn(tmp_path: Path) -> None:
    def forward(config: dict) -> None:
        config["connect:vpn"]["connections"].append(copy.deepcopy(SECOND))

    def backward(config: dict) -> None:
        config["connect:vpn"]["connections"].insert(0, copy.deepcopy(SECOND))

    assert plan_copy(tmp_path, "forward", forward) == plan_copy(tmp_path, "backward", backward)


def test_switching_to_provided_keys_updates_the_same_connection(tmp_path: Path) -> None:
    def generated(config: dict) -> None:
        for tunnel in config["connect:vpn"]["connections"][0]["tunnels"]:
            del tunnel["presharedKeySecret"]
        del config["connect:vpnPskSantiago1"], config["connect:vpnPskSantiago2"]

    before = plan_copy(tmp_path, "generated", generated)
    after = plan_copy(tmp_path, "provided", lambda config: None)
    assert set(before) == set(after)  # no resource added or removed: one connection resource, updated
    (urn,) = [u for u, r in after.items()
              if r["type"] == "aws:ec2/vpnConnection:VpnConnection" and r["name"] == "vpn-dc-santiago"]
    assert "tunnel1PresharedKey" not in before[urn]["inputs"]
    assert after[urn]["inputs"]["tunnel1PresharedKey"] == "[secret]"
    changed = {k for k in after[urn]["inputs"] if after[urn]["inputs"][k] != before[urn]["inputs"].get(k)}
    assert changed == {"tunnel1PresharedKey", "tunnel2PresharedKey"}


def test_stack_file_keys_are_secrets() -> None:
    stack = load_stack(load_project(), "acme-prod")
    assert {"connect:vpnPskSantiago1", "connect:vpnPskSantiago2"} <= set(stack.secret_keys)
