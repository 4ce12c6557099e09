"""Issue #19: a DR region the client can reach, one name per service, and failover as a change of the stack file.

The 3 a.m. view: when the primary region is out, the failover must (1) need nothing of that region, nor of a control
plane that lives in us-east-1 (IAM, Route 53), (2) restore the databases and scale the services to the client's
base, and (3) move every service name. These tests plan acme-prod (pilot light, primary us-east-1) as committed and
in the failover state, and compare the two resource by resource.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from components.config import parse_stack_config
from connectctl.engine.blackout import leaks, regions
from connectctl.engine.mocks import LOST_REGION_CALL
from connectctl.engine.project import load_project, load_stack
from connectctl.plan import Plan, plan_stack
from tests.components.config_cases import issues_of, with_changes
from tests.components.plans import of_type, planned, stack_copy

PRIMARY, DR = "us-east-1", "us-west-2"
SERVICES = ("accounts-api", "notifications-worker", "payments-api")
ZONE = "prod.acme.connect.internal"
ACTIVE_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]


def write_stack(tmp: Path, change: dict[str, Any]) -> Path:
    """acme-prod with `connect:dr` keys changed (and the zones named, which a failover needs)."""
    def mutate(config: dict[str, Any]) -> None:
        config["connect:dr"].update(change)
        if change.get("active"):
            config["connect:network"]["availabilityZones"] = ACTIVE_ZONES

    return stack_copy(tmp, "acme-prod", mutate)


@functools.cache
def failover_plan(blackout: str | None = None) -> Plan:
    """acme-prod with `connect:dr.active: true`, planned in update mode (values known)."""
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="acme-failover-"))
    return plan_stack("acme-prod", config_file=write_stack(tmp, {"active": True}), preview=False, blackout=blackout)


def by_urn(plan: Plan) -> dict[str, Any]:
    return {r.urn: r for r in plan.capture.resources}


def region_of(plan: Plan) -> dict[str, str]:
    return regions(plan.capture.resources, plan.config.region)


def mandatory(plan: Plan) -> list[str]:
    """The mandatory findings, as `rule: message` (empty when the plan passes)."""
    return [f"{v.policy}: {v.message[:160]}" for v in plan.mandatory]


# --- the standby is reachable ------------------------------------------------------------------------------------

def test_pilot_light_has_vpn_resolvers_and_failover_records_in_both_regions() -> None:
    plan = planned("acme-prod", False)
    where = region_of(plan)
    assert mandatory(plan) == []
    connections = of_type(plan, "aws:ec2/vpnConnection:VpnConnection")
    assert sorted(where[c.urn] for c in connections) == [PRIMARY, DR]
    gateways = {where[g.urn]: g.inputs["ipAddress"] for g in of_type(plan, "aws:ec2/customerGateway:CustomerGateway")}
    assert gateways == {PRIMARY: "190.98.210.10", DR: "190.98.210.10"}  # the same device ends both regions' tunnels
    dr_link = next(c for c in connections if where[c.urn] == DR)
    assert {dr_link.inputs["tunnel1InsideCidr"], dr_link.inputs["tunnel2InsideCidr"]} == {
        "169.254.11.0/30", "169.254.11.4/30"}  # drInsideCidr: the device's four tunnels never share a /30
    assert dr_link.inputs["tunnel1IkeVersions"] == next(
        c for c in connections if where[c.urn] == PRIMARY).inputs["tunnel1IkeVersions"]
    resolvers = of_type(plan, "aws:route53/resolverEndpoint:ResolverEndpoint")
    assert sorted(where[r.urn] for r in resolvers) == [PRIMARY, DR]
    assert all(r.inputs["direction"] == "INBOUND" and len(r.inputs["ipAddresses"]) >= 2 for r in resolvers)
    zone = of_type(plan, "aws:route53/zone:Zone")[0]
    assert zone.inputs["name"] == ZONE
    assert sorted(v["vpcRegion"] for v in zone.inputs["vpcs"]) == [PRIMARY, DR]
    records = of_type(plan, "aws:route53/record:Record")
    pairs = {(r.inputs["name"], r.inputs["failoverRoutingPolicies"][0]["type"]) for r in records}
    assert pairs == {(f"{s}.{ZONE}", role) for s in SERVICES for role in ("PRIMARY", "SECONDARY")}
    outputs = plan.as_json()["outputs"]
    assert set(outputs["resolverInboundIps"]) == {PRIMARY, DR}
    assert outputs["serviceDnsNames"]["payments-api"] == f"payments-api.{ZONE}"
    assert set(outputs["drVpnConnections"]) == {"dc-santiago"}


def test_resolvers_admit_dns_only_from_the_data_centres() -> None:
    plan = planned("acme-prod", False)
    groups = {g.urn for g in of_type(plan, "aws:ec2/securityGroup:SecurityGroup") if "resolver" in g.name}
    rules = [r for r in of_type(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if "resolver" in r.name]
    assert len(groups) == 2 and len(rules) == 4  # TCP and UDP, in each region
    assert {(r.inputs["cidrIpv4"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules} == {
        ("172.16.0.0/16", 53, 53)}


def test_the_primary_health_is_serving_and_no_failover_declared() -> None:
    plan = planned("acme-prod", False)
    where = region_of(plan)
    checks = {c.name: c for c in of_type(plan, "aws:route53/healthCheck:HealthCheck")}
    calculated = checks["dns-payments-api-primary-health"].inputs
    assert calculated["type"] == "CALCULATED" and calculated["childHealthThreshold"] == 2
    serving, switch = checks["dns-payments-api-health"].inputs, checks["dns-failover-switch"].inputs
    assert (serving["type"], serving["cloudwatchAlarmRegion"]) == ("CLOUDWATCH_METRIC", PRIMARY)
    assert serving["insufficientDataHealthStatus"] == "LastKnownStatus"  # a CloudWatch blip never moves the names
    assert (switch["cloudwatchAlarmRegion"], switch["insufficientDataHealthStatus"]) == (DR, "Healthy")
    alarm = next(a for a in of_type(plan, "aws:cloudwatch/metricAlarm:MetricAlarm")
                 if a.name == "dns-failover-declared")
    assert where[alarm.urn] == DR and alarm.inputs["treatMissingData"] == "notBreaching"


# --- failover as a change of the stack file ----------------------------------------------------------------------

def test_the_failover_touches_only_the_dr_region() -> None:
    """The diff to the active state: DR-region resources only (and the primary provider's STS region)."""
    before, after = by_urn(planned("acme-prod", False)), by_urn(failover_plan())
    where = {**region_of(planned("acme-prod", False)), **region_of(failover_plan())}
    changed = [u for u in before.keys() & after.keys() if before[u].inputs != after[u].inputs]
    added, removed = after.keys() - before.keys(), before.keys() - after.keys()
    assert removed == set()
    providers = [u for u in changed if before[u].type.startswith("pulumi:providers:")]
    assert [(before[u].name, after[u].inputs.get("stsRegion")) for u in providers] == [("tenant", DR)]
    touched = [u for u in [*changed, *added] if u not in providers]
    assert touched and {where[u] for u in touched} == {DR}
    # No IAM and no Route 53 change: their control planes are in us-east-1, the region that may be out.
    types = {(after[u].type) for u in touched}
    assert not any(t.startswith(("aws:iam/", "aws:route53/")) for t in types), types


def test_the_failover_restores_the_databases_and_scales_to_base() -> None:
    plan, where = failover_plan(), region_of(failover_plan())
    clusters = [c for c in of_type(plan, "aws:rds/cluster:Cluster") if where[c.urn] == DR]
    assert [c.name for c in clusters] == ["dr-restore-ledger"]
    restored = clusters[0]
    assert restored.inputs["snapshotIdentifier"].startswith(f"arn:aws:rds:{DR}:111111111111:cluster-snapshot:awsbackup")
    assert "masterUsername" not in restored.inputs  # the snapshot brings its users
    assert restored.protect and restored.retain_on_delete  # what it writes after the failover is data
    targets = {t.name: t.inputs["minCapacity"] for t in of_type(plan, "aws:appautoscaling/target:Target")
               if where[t.urn] == DR}
    assert targets == {"dr-platform-accounts-api-scaling": 2, "dr-platform-notifications-worker-scaling": 2,
                       "dr-platform-payments-api-scaling": 2}  # the client's base (pilot light: 0 before)
    switch = next(a for a in of_type(plan, "aws:cloudwatch/metricAlarm:MetricAlarm")
                  if a.name == "dns-failover-declared")
    assert switch.inputs["treatMissingData"] == "breaching"  # ALARM: every name answers from the standby
    # The services reach the restored database, and only through its own group.
    to_ledger = [r for r in of_type(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                 if r.name.endswith("-to-ledger") and where[r.urn] == DR]
    assert sorted(r.name for r in to_ledger) == ["dr-platform-accounts-api-to-ledger",
                                                 "dr-platform-payments-api-to-ledger"]


def test_a_named_snapshot_is_restored_as_given(tmp_path: Path) -> None:
    arn = f"arn:aws:rds:{DR}:111111111111:cluster-snapshot:awsbackup:copyjob-5d2f0a3e-aaaa-bbbb-cccc-1234567890ab"
    plan = plan_stack("acme-prod", preview=False,
                      config_file=write_stack(tmp_path, {"active": True, "restoreFrom": {"ledger": arn}}))
    restored = next(c for c in of_type(plan, "aws:rds/cluster:Cluster") if c.name == "dr-restore-ledger")
    assert restored.inputs["snapshotIdentifier"] == arn


def test_the_failover_plans_with_the_primary_region_blacked_out() -> None:
    """The DR blackout plan passes in the active state too, and the failover asks the lost region nothing."""
    plan = failover_plan(PRIMARY)
    assert leaks(plan.capture.resources, PRIMARY, plan.config.region) == []
    assert [call for call in plan.capture.invokes if call.endswith(LOST_REGION_CALL)] == []
    # The committed (standby) plan does ask it: the zones by count. That is why the failover wants them by name.
    normal = plan_stack("acme-prod", preview=False, blackout=PRIMARY)
    assert any(call.endswith(LOST_REGION_CALL) for call in normal.capture.invokes)


def test_the_failover_state_passes_the_pack() -> None:
    assert mandatory(failover_plan()) == []


# --- stack-file checks ------------------------------------------------------------------------------------------

def acme_config() -> dict[str, Any]:
    """acme-prod's config as the engine hands it over (secure values decrypted to stand-ins)."""
    return dict(load_stack(load_project(), "acme-prod").config)


@pytest.mark.parametrize(("changes", "path", "phrase"), [
    ([("connect:dr.cidr", None)], "connect:dr.cidr", "required when the VPN links end in the DR region"),
    ([("connect:dr.cidr", "10.40.128.0/17")], "connect:dr.cidr", "overlaps the primary VPC"),
    ([("connect:dr.cidr", "172.16.0.0/16")], "connect:dr.cidr", "overlaps 172.16.0.0/16 of 'dc-santiago'"),
    ([("connect:dr.restoreFrom", {"ledgr": "latest"})], "connect:dr.restoreFrom.ledgr", "allowed: ledger"),
    ([("connect:dr.restoreFrom", {"ledger": "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:x"})],
     "connect:dr.restoreFrom.ledger", "allowed: a copy in us-west-2"),
    ([("connect:dr.active", True)], "connect:network.availabilityZones", "must not need"),
    ([("connect:vpn.connections[0].tunnels[0].drInsideCidr", "169.254.10.4/30")],
     "connect:vpn.connections[0].tunnels[1].insideCidr", "already an inside range of this connection"),
])
def test_dr_settings_that_cannot_work_are_refused(changes: list[tuple[str, Any]], path: str, phrase: str) -> None:
    config = with_changes(acme_config(), *changes)
    issues = issues_of(config)
    assert path in [i.path for i in issues], issues
    assert phrase in next(i.message for i in issues if i.path == path)


def test_a_bad_restore_source_is_refused_by_its_shape() -> None:
    issues = issues_of(with_changes(acme_config(), ("connect:dr.restoreFrom", {"ledger": "yesterday"})))
    assert issues and "not a cluster snapshot" in issues[0].message and "latest" in issues[0].message


def test_backup_restore_opts_in_to_a_dr_vpn(tmp_path: Path) -> None:
    """backup-restore has no standby; `dr.vpn: true` builds the DR network for the links, and no platform."""
    def backup_restore(config: dict[str, Any]) -> None:
        config["connect:dr"] = {"mode": "backup-restore", "vpn": True, "cidr": "10.42.0.0/16",
                                "backup": config["connect:dr"]["backup"]}

    plan = plan_stack("acme-prod", config_file=stack_copy(tmp_path, "acme-prod", backup_restore), preview=False)
    where = region_of(plan)
    assert sorted(where[c.urn] for c in of_type(plan, "aws:ec2/vpnConnection:VpnConnection")) == [PRIMARY, DR]
    assert not [c for c in of_type(plan, "aws:ecs/cluster:Cluster") if where[c.urn] == DR]
    records = of_type(plan, "aws:route53/record:Record")  # no standby load balancer: plain names
    assert records and all("failoverRoutingPolicies" not in r.inputs for r in records)
    assert mandatory(plan) == []


def test_the_zone_can_be_the_clients_own_domain() -> None:
    config = with_changes(acme_config(), ("connect:platform.dnsZone", "prod.acme.example.com"))
    assert parse_stack_config(config, "stacks/Pulumi.test.yaml").dns_zone_name == "prod.acme.example.com"
    issues = issues_of(with_changes(acme_config(), ("connect:platform.dnsZone", "Prod..acme")))
    assert [i.path for i in issues] == ["connect:platform.dnsZone"] and "not a DNS zone name" in issues[0].message
