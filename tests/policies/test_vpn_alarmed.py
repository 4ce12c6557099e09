"""vpn-alarmed: each VPN connection has an AWS/VPN TunnelState alarm naming it (via property dependencies)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pulumi_aws as aws
import pytest

from tests.policies.ecs_programs import assert_one_advisory
from tests.policies.harness import TAGS, evaluate, findings, notes, pinned, provider
from tests.policies.vpn_programs import CONNECTION_URN, connection, log_group, tunnel_alarm

POLICY = "vpn-alarmed"
# The offline engine's id for the connection named "vpn": its id prefix and a hash of type and name.
MOCK_VPN_ID = "vpn-" + hashlib.sha256(b"aws:ec2/vpnConnection:VpnConnection\x00vpn").hexdigest()[:17]


def _alarmed() -> None:
    """Two alarms on the connection's id, as the platform's component declares them."""
    p = provider()
    vpn = connection(p, log_group(p))
    tunnel_alarm(p, "vpn-tunnel-down", {"VpnId": vpn.id})
    tunnel_alarm(p, "vpn-tunnel-degraded", {"VpnId": vpn.id})


def _alarmed_by_tunnel_address() -> None:
    p = provider()
    vpn = connection(p, log_group(p))
    tunnel_alarm(p, "vpn-tunnel1-down", {"TunnelIpAddress": vpn.tunnel1_address})


def _literal_vpn_id(vpn_id: str) -> Callable[[], None]:
    """The alarm names a connection by a literal id (copied from an earlier deployment, say)."""

    def program() -> None:
        p = provider()
        connection(p, log_group(p))
        tunnel_alarm(p, "vpn-tunnel-down", {"VpnId": vpn_id})

    return program


def _no_alarm() -> None:
    p = provider()
    connection(p, log_group(p))


def _alarm_on_another_connection() -> None:
    p = provider()
    group = log_group(p)
    connection(p, group)
    other = connection(p, group, name="other")
    tunnel_alarm(p, "other-tunnel-down", {"VpnId": other.id})


def _alarm_on_another_metric() -> None:
    p = provider()
    vpn = connection(p, log_group(p))
    tunnel_alarm(p, "vpn-data-in", {"VpnId": vpn.id}, metric_name="TunnelDataIn")


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("program", [_alarmed, _alarmed_by_tunnel_address], ids=["vpn-id", "tunnel-address"])
def test_alarmed_connection_passes(preview: bool, program: object) -> None:
    """In preview the connection's id and tunnel addresses are unknown: the property dependency links them."""
    assert callable(program)
    found = evaluate(program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("program", [_no_alarm, _alarm_on_another_metric], ids=["no-alarm", "other-metric"])
def test_unalarmed_connection_is_advisory(preview: bool, program: object) -> None:
    assert callable(program)
    found = evaluate(program, preview=preview)
    assert_one_advisory(findings(found, POLICY), CONNECTION_URN, "VPN connection 'vpn' has no TunnelState alarm")
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_alarm_on_another_connection_does_not_count(preview: bool) -> None:
    found = evaluate(_alarm_on_another_connection, preview=preview)
    assert_one_advisory(findings(found, POLICY), CONNECTION_URN, "VPN connection 'vpn' has no TunnelState alarm")
    assert notes(found, POLICY) == []


def test_literal_vpn_id_of_the_connection_passes() -> None:
    """After creation the connection's id is known: a literal VpnId equal to it names it."""
    found = evaluate(_literal_vpn_id(MOCK_VPN_ID), preview=False)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_literal_vpn_id_of_another_connection_does_not_count(preview: bool) -> None:
    found = evaluate(_literal_vpn_id("vpn-0123456789abcdef0"), preview=preview)
    assert_one_advisory(findings(found, POLICY), CONNECTION_URN, "has no TunnelState alarm")
    assert notes(found, POLICY) == []


def _alarm_on_unknown_id() -> None:
    """The VpnId comes from another resource's output (unknown in preview): it could name the connection."""
    p = provider()
    connection(p, log_group(p))
    elsewhere = aws.ec2.VpnGateway("elsewhere", tags=TAGS, opts=pinned(p))
    tunnel_alarm(p, "vpn-tunnel-down", {"VpnId": elsewhere.id.apply(lambda _: "vpn-0123456789abcdef0")})


@pytest.mark.parametrize("preview", [True, False])
def test_alarm_on_an_id_unknown_in_preview(preview: bool) -> None:
    """Fed by no VPN connection and unknown: preview can't decide (a note); once known, it names another id."""
    found = evaluate(_alarm_on_unknown_id, preview=preview)
    if preview:
        assert findings(found, POLICY) == []
        assert len(notes(found, POLICY)) == 1
    else:
        assert_one_advisory(findings(found, POLICY), CONNECTION_URN, "has no TunnelState alarm")
