"""dr-reachable: in a standby mode the DR region reaches the client's devices and every private name fails over.

Synthetic programs (`dr_programs.reachable`, compliant by default, one knob per case), then the real program:
acme-prod as committed passes, and with `connect:dr.vpn: false` it fails.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
import yaml

from connectctl.plan import plan_stack
from tests.policies.data_programs import DR_REGION, providers
from tests.policies.dr_programs import SERVICE_NAME, SUBNETS, VPCS, reachable
from tests.policies.harness import REGION, TAGS, evaluate, findings, notes, pinned, provider
from tests.policies.mutations import STACKS_DIR, baseline

POLICY = "dr-reachable"
CONFIG = {POLICY: {"drRegion": DR_REGION}}
PEER = "198.51.100.10"
ONE_WAY = (f"VPN connection 'vpn' (customer gateway {PEER}) ends in the primary region only: no VPN connection in "
           f"the DR region {DR_REGION} reaches {PEER}, so the client has no path to the standby while the primary "
           f"region is out.")
NO_FAILOVER = (f"Record 'api' in private zone 'zone' points at the primary region's load balancer 'alb' but does not "
               f"fail over to the DR region {DR_REGION}: it has no failover routing (it must be the PRIMARY record "
               f"of a failover pair); it has no health check, so Route 53 never fails it over; no SECONDARY record "
               f"of the same name ({SERVICE_NAME}, A) answers in its zone.")


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("switch", [False, True], ids=["cloudwatch-check", "calculated-with-a-switch"])
def test_reachable_standby_passes(preview: bool, switch: bool) -> None:
    """Same device in both regions; PRIMARY (relative name, a CloudWatch check or a CALCULATED check of the service's
    and a failover switch's) and SECONDARY (full name with a trailing dot) pair up; the zone answers in both VPCs."""
    found = evaluate(partial(reachable, switch=switch), preview=preview, pack_config=CONFIG)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("no-dr-vpn", {"dr_vpn": False}, "aws:ec2/vpnConnection:VpnConnection::vpn", ONE_WAY),
    ("dr-vpn-to-another-device", {"dr_peer_ip": "203.0.113.20"}, "aws:ec2/vpnConnection:VpnConnection::vpn",
     ONE_WAY),
    ("plain-record", {"failover": False}, "aws:route53/record:Record::api", NO_FAILOVER),
    ("http-health-check", {"health_type": "HTTP"}, "aws:route53/record:Record::api-primary",
     "does not fail over to the DR region us-west-2: its health check is 'api-health' of type HTTP: Route 53's "
     "checkers are on the internet and cannot reach a private endpoint; use a CLOUDWATCH_METRIC check on the service's "
     "CloudWatch alarm (or a CALCULATED check over such checks)."),
    ("calculated-over-an-http-check", {"health_type": "HTTP", "switch": True}, "aws:route53/record:Record::api-primary",
     "does not fail over to the DR region us-west-2: its health check is 'api-primary-health' combining "
     "'api-health' of type HTTP: Route 53's checkers are on the internet"),
    ("no-health-check", {"health_type": None}, "aws:route53/record:Record::api-primary",
     "does not fail over to the DR region us-west-2: it has no health check, so Route 53 never fails it over."),
    ("no-secondary", {"secondary": None}, "aws:route53/record:Record::api-primary",
     f"does not fail over to the DR region us-west-2: no SECONDARY record of the same name ({SERVICE_NAME}, A) "
     f"answers in its zone."),
    ("secondary-to-the-primary", {"secondary": "primary"}, "aws:route53/record:Record::api-dr",
     "Record 'api-dr' in private zone 'zone' points at the primary region's load balancer 'alb' but does not fail "
     "over to the DR region us-west-2: it is a SECONDARY failover record, not the PRIMARY;"),
    ("zone-not-in-the-dr-vpc", {"zone_regions": (REGION,)}, "aws:route53/zone:Zone::zone",
     f"Private zone 'zone' holds names of the primary region's load balancer but is associated with no VPC of the "
     f"DR region {DR_REGION}: the standby's resolvers cannot answer them."),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("knobs", "urn_suffix", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_unreachable_standby_is_one_mandatory_finding(preview: bool, knobs: dict[str, Any], urn_suffix: str,
                                                      phrase: str) -> None:
    found = evaluate(partial(reachable, **knobs), preview=preview, pack_config=CONFIG)
    assert [(v.level, v.urn.split("::", 2)[-1]) for v in findings(found, POLICY)] == [("mandatory", urn_suffix)]
    assert phrase in findings(found, POLICY)[0].message, findings(found, POLICY)[0].message
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_backup_restore_has_nothing_to_reach(preview: bool) -> None:
    """No cluster or load balancer in the DR region: one plain record and no DR link are the design."""
    found = evaluate(partial(reachable, standby=False, failover=False), preview=preview, pack_config=CONFIG)
    assert findings(found, POLICY) == [] and notes(found, POLICY) == []


def test_without_a_dr_region_the_rule_checks_nothing() -> None:
    assert findings(evaluate(partial(reachable, dr_vpn=False, failover=False), preview=False), POLICY) == []


def _device_address_from_an_output() -> None:
    """Both regions' customer gateways take the device's address from another resource's output (unknown in
    preview, known on update)."""
    device = aws.ec2.Eip("device", domain="vpc", tags=TAGS, opts=pinned(provider("111111111111", "device")))
    reachable(peer_ip=device.public_ip, dr_peer_ip=device.public_ip)


@pytest.mark.parametrize("preview", [True, False])
def test_an_address_unknown_in_preview_is_left_to_the_note(preview: bool) -> None:
    found = evaluate(_device_address_from_an_output, preview=preview, pack_config=CONFIG)
    assert findings(found, POLICY) == []
    assert len(notes(found, POLICY)) == (1 if preview else 0)


def _zone_vpcs_from_an_output() -> None:
    """The zone's VPC list is computed from another resource's output: unknown in preview, both regions once known."""
    primary, dr = providers()
    aws.ecs.Cluster("dr-cluster", tags=TAGS, opts=pinned(dr))
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.40.0.0/16", tags=TAGS, opts=pinned(primary))
    vpcs: Any = vpc.id.apply(lambda _: [{"vpc_id": VPCS[r], "vpc_region": r} for r in (REGION, DR_REGION)])
    zone = aws.route53.Zone("computed-zone", name="prod.acme.connect.internal", vpcs=vpcs, tags=TAGS,
                            opts=pinned(primary))
    lb = aws.lb.LoadBalancer("computed-alb", internal=True, subnets=SUBNETS[REGION], tags=TAGS, opts=pinned(primary))
    aws.route53.Record("computed-api", zone_id=zone.zone_id, name="api", type="A", opts=pinned(primary),
                       aliases=[{"name": lb.dns_name, "zone_id": lb.zone_id, "evaluate_target_health": False}])


def test_a_zone_whose_vpcs_are_unknown_is_left_to_the_note() -> None:
    """In preview the zone may be private (then its plain record fails) or public (dns-private-only's concern)."""
    preview = evaluate(_zone_vpcs_from_an_output, preview=True, pack_config=CONFIG)
    assert findings(preview, POLICY) == [] and len(notes(preview, POLICY)) == 1
    known = findings(evaluate(_zone_vpcs_from_an_output, preview=False, pack_config=CONFIG), POLICY)
    assert [v.urn.rsplit("::", 1)[-1] for v in known] == ["computed-api"]
    assert "it has no failover routing" in known[0].message


# --- the real program ------------------------------------------------------------------------------------------


def _acme_prod_without_dr_vpn(directory: Path) -> Path:
    """A copy of acme-prod's stack file (same file name: its account reference and pack config resolve as for the
    original) with `connect:dr.vpn: false`."""
    doc = yaml.safe_load((STACKS_DIR / "Pulumi.acme-prod.yaml").read_text(encoding="utf-8"))
    doc["config"]["connect:dr"]["vpn"] = False
    path = directory / "Pulumi.acme-prod.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("preview", [True, False])
def test_acme_prod_as_committed_is_reachable(preview: bool) -> None:
    """The rule runs with acme-prod's DR region (its pack config) and finds the DR links and the failover pairs."""
    plan = baseline("acme-prod", preview)
    assert (plan.pack_config or {}).get(POLICY, {}).get("drRegion") == DR_REGION
    assert [v for v in plan.violations if v.policy == POLICY] == []


def test_acme_prod_without_dr_vpn_is_unreachable(tmp_path: Path) -> None:
    """pilot-light with `dr.vpn: false`: the dc-santiago link ends in us-east-1 only."""
    plan = plan_stack(config_file=_acme_prod_without_dr_vpn(tmp_path))
    found = [v for v in plan.violations if v.policy == POLICY]
    assert [(v.level, v.urn.rsplit("::", 1)[-1]) for v in found] == [("mandatory", "vpn-dc-santiago")]
    assert ("VPN connection 'vpn-dc-santiago' (customer gateway 190.98.210.10) ends in the primary region only: no "
            "VPN connection in the DR region us-west-2 reaches 190.98.210.10") in found[0].message
