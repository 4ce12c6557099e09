"""The plan refuses what the provider's Check or AWS would refuse: exit 1, the URN, the path, what is allowed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from connectctl import cli
from connectctl.plan import engine_errors, plan_stack
from tests.components.plans import planned

STAGING_VPN = "urn:pulumi:acme-staging::connect::connect:vpn:SiteToSiteVpn$aws:ec2/vpnConnection:VpnConnection::" \
              "vpn-dc-santiago"
TUNNEL_LOGS = "urn:pulumi:acme-staging::connect::connect:vpn:SiteToSiteVpn$aws:cloudwatch/logGroup:LogGroup::" \
              "vpn-tunnel-logs"


def test_a_value_the_provider_refuses_fails_the_plan_with_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import components.vpn

    monkeypatch.setattr(components.vpn, "TUNNEL_LOG_RETENTION_DAYS", "a year")
    result = CliRunner().invoke(cli.app, ["plan", "acme-staging", "--format", "json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["errors"] == [{"check": "provider-check", "urn": TUNNEL_LOGS, "path": "retentionInDays",
                              "message": 'expected integer, got string "a year", which does not parse as an integer',
                              "source": ""}]
    assert doc["summary"]["providerCheck"] == 1 and doc["summary"]["mandatory"] == 1
    (violation,) = [v for v in doc["violations"] if v["level"] == "mandatory"]
    assert violation["policy"] == "provider-check" and violation["urn"] == TUNNEL_LOGS
    # the refused resource never reaches the pack, as under the engine (the pack's rule would crash on it)
    assert not [v for v in doc["violations"] if v["policy"] == "log-group-encrypted-retained"]


def test_text_output_names_the_check_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import components.vpn

    monkeypatch.setattr(components.vpn, "TUNNEL_LOG_RETENTION_DAYS", "a year")
    result = CliRunner().invoke(cli.app, ["plan", "acme-staging"])
    assert result.exit_code == 1
    flat = " ".join(result.stdout.split())
    assert "provider-check" in flat and "FAIL" in flat and "retentionInDays: expected integer" in flat


def test_an_error_points_at_the_stack_file_line_its_value_came_from() -> None:
    plan = plan_stack("acme-staging", preview=False)
    vpn = next(r for r in plan.capture.resources if r.urn == STAGING_VPN)
    vpn.inputs["staticRoutesOnly"] = plan.config.vpn.connections[0].peer_ip if plan.config.vpn else None
    vpn.inputs["tunnel1IkeVersions"] = ["ikev3"]
    vpn.inputs["tunnel1InsideCidrr"] = "169.254.10.0/30"
    found = {(e.path, e.message, e.source) for e in engine_errors(plan.capture, plan.stack_file, plan.config)}
    assert found == {
        ("staticRoutesOnly", 'expected boolean (true or false), got string "190.98.210.11"',
         "stacks/Pulumi.acme-staging.yaml:40 (connect:vpn.connections[0].peerIp)"),
        ("tunnel1IkeVersions[0]", 'string "ikev3" is not an allowed value; allowed: ikev1, ikev2', ""),
        ("tunnel1InsideCidrr", 'unknown property "tunnel1InsideCidrr" of aws:ec2/vpnConnection:VpnConnection; '
         'did you mean "tunnel1InsideCidr"? (nearest known: tunnel1InsideCidr, tunnel2InsideCidr, '
         'tunnel1InsideIpv6Cidr)', ""),
    }


def test_a_standby_reading_the_primary_region_fails_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    import components.platform

    monkeypatch.setattr(components.platform, "in_region", lambda arn, region: arn)
    plan = plan_stack("globex-prod", preview=False)
    rules = {(e.check, e.urn.rsplit("::", 1)[1]) for e in plan.errors}
    assert ("aws-rule:region-locality", "dr-platform-billing-api-task-definition") in rules
    assert ("aws-rule:region-locality", "dr-platform-orders-api-task-definition") in rules
    assert all(e.check.startswith("aws-rule:") for e in plan.errors) and plan.mandatory


@pytest.mark.parametrize("stack", ["acme-account", "acme-prod", "acme-staging", "globex-account", "globex-prod"])
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_every_committed_stack_plans_with_no_engine_error(stack: str, preview: bool) -> None:
    plan = planned(stack, preview)
    assert [str(e) for e in plan.errors] == []
    assert plan.mandatory == []
