"""vpn-tunnel-logging: both tunnels of each VPN connection log to CloudWatch (enabled, with a log group)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.harness import assert_one_mandatory, evaluate, findings, notes, provider
from tests.policies.vpn_programs import CONNECTION_URN, DROP, connection, log_group, log_options

POLICY = "vpn-tunnel-logging"


def _program(tunnel1: dict[str, Any] | None = None, tunnel2: dict[str, Any] | None = None) -> None:
    p = provider()
    connection(p, log_group(p), tunnel1=tunnel1, tunnel2=tunnel2)


@pytest.mark.parametrize("preview", [True, False])
def test_both_tunnels_logging_passes(preview: bool) -> None:
    """In preview the log group's ARN is unknown: it counts as set, and no note is raised."""
    found = evaluate(_program, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_logging_disabled_on_one_tunnel_is_violation(preview: bool) -> None:
    found = evaluate(lambda: _program(tunnel2={"log_options": log_options(None, enabled=False)}), preview=preview)
    assert_one_mandatory(findings(found, POLICY), CONNECTION_URN, "tunnel2LogOptions.cloudwatchLogOptions.logEnabled "
                                                                  "is not true")
    message = findings(found, POLICY)[0].message
    assert "tunnel2LogOptions.cloudwatchLogOptions.logGroupArn is not set" in message
    assert "tunnel1LogOptions" not in message


@pytest.mark.parametrize("preview", [True, False])
def test_enabled_without_log_group_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(tunnel1={"log_options": log_options(None)}), preview=preview), POLICY)
    assert_one_mandatory(found, CONNECTION_URN, "tunnel1LogOptions.cloudwatchLogOptions.logGroupArn is not set")
    assert "logEnabled" not in found[0].message


@pytest.mark.parametrize("preview", [True, False])
def test_no_log_options_on_either_tunnel_is_violation(preview: bool) -> None:
    found = findings(evaluate(lambda: _program(tunnel1={"log_options": DROP}, tunnel2={"log_options": DROP}),
                              preview=preview), POLICY)
    assert_one_mandatory(found, CONNECTION_URN, "does not log both tunnels to CloudWatch")
    assert "tunnel1LogOptions.cloudwatchLogOptions is not set" in found[0].message
    assert "tunnel2LogOptions.cloudwatchLogOptions is not set" in found[0].message
