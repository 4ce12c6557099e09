"""vpn-alarmed: each Site-to-Site VPN connection has a CloudWatch alarm on its TunnelState metric.

An `aws:cloudwatch/metricAlarm:MetricAlarm` watches a connection when its `namespace` is `AWS/VPN`, its
`metricName` is `TunnelState` and
- the connection fed its `dimensions` (a property dependency: `{"VpnId": connection.id}` or
  `{"TunnelIpAddress": connection.tunnel1_address}`; it holds in preview when ids are unknown, and the
  metric has no other dimensions), or
- a known `VpnId` dimension equals the connection's known `id`, or a known `TunnelIpAddress` equals its
  known `tunnel1Address` or `tunnel2Address`.
Alarms built from metric queries (`metricQueries`) are not recognised.

When no alarm watches a connection but some TunnelState alarm's dimension is unknown and fed by no VPN
connection of the stack (a lookup or stack reference could still name it), the outcome is left to the
engine's "can't run policy" note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_unknown, raw
from connect_guardrails.util import depends_on, deps_of_type, of_type

VPN_CONNECTION = "aws:ec2/vpnConnection:VpnConnection"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
NAMESPACE = "AWS/VPN"
METRIC = "TunnelState"
DIMENSIONS = ("VpnId", "TunnelIpAddress")


def _known_str(props: Any, key: str) -> str | None:
    value = get_raw(props, key)
    return value if isinstance(value, str) and value and not is_unknown(value) else None


def _dimension_values(alarm: PolicyResource) -> dict[str, Any] | None:
    """The alarm's VpnId/TunnelIpAddress dimensions (raw); None when the whole map is unknown."""
    dimensions = raw(get_raw(alarm.props, "dimensions"))
    if is_unknown(dimensions):
        return None
    if not isinstance(dimensions, Mapping):
        return {}
    return {key: raw(dimensions[key]) for key in DIMENSIONS if key in dimensions}


def _metric_unknowns(alarm: PolicyResource) -> list[str] | None:
    """None when a known namespace or metricName is not AWS/VPN TunnelState, else the keys still unknown."""
    unknown: list[str] = []
    for key, expected in (("namespace", NAMESPACE), ("metricName", METRIC)):
        value = get_raw(alarm.props, key)
        if is_unknown(value):
            unknown.append(key)
        elif value != expected:
            return None
    return unknown


def _watches(alarm: PolicyResource, connection: PolicyResource) -> bool:
    if depends_on(alarm, "dimensions", connection):
        return True  # AWS/VPN TunnelState has only the VpnId and TunnelIpAddress dimensions
    dimensions = _dimension_values(alarm)
    if not dimensions:
        return False
    vpn_id = _known_str(connection.props, "id")
    addresses = {_known_str(connection.props, f"tunnel{n}Address") for n in (1, 2)} - {None}
    return (vpn_id is not None and dimensions.get("VpnId") == vpn_id) or \
        dimensions.get("TunnelIpAddress") in addresses


def _unknown_dimension(alarm: PolicyResource) -> tuple[str, ...] | None:
    """Where an unknown dimension fed by no VPN connection sits (it could still name any connection)."""
    if deps_of_type(alarm, "dimensions", VPN_CONNECTION):
        return None
    dimensions = _dimension_values(alarm)
    if dimensions is None:
        return ("dimensions",)
    return next((("dimensions", key) for key, value in dimensions.items() if is_unknown(value)), None)


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per VPN connection: some AWS/VPN TunnelState alarm whose VpnId or TunnelIpAddress dimension names it."""
    resources = list(args.resources)
    alarms: list[tuple[PolicyResource, list[str]]] = []
    for alarm in of_type(resources, METRIC_ALARM):
        unknown = _metric_unknowns(alarm)
        if unknown is not None:
            alarms.append((alarm, unknown))
    pending = Pending()
    for connection in of_type(resources, VPN_CONNECTION):
        if any(_watches(alarm, connection) for alarm, unknown in alarms if not unknown):
            continue
        undecided = False
        for alarm, unknown in alarms:
            where = _unknown_dimension(alarm)
            if where is not None:
                pending.add(alarm.props, *where)
                undecided = True
            if unknown and (where is not None or _watches(alarm, connection)):
                pending.add(alarm.props, unknown[0])
                undecided = True
        if undecided:
            continue
        report_violation(
            f"VPN connection '{connection.name}' has no TunnelState alarm; add an aws.cloudwatch.MetricAlarm("
            f"namespace='{NAMESPACE}', metric_name='{METRIC}', dimensions={{'VpnId': connection.id}}, "
            f"statistic='Maximum', comparison_operator='LessThanThreshold', threshold=1) so a tunnel going down "
            f"is noticed",
            connection.urn,
        )
    pending.settle()


RULE = Rule(
    id="vpn-alarmed", level="advisory", severity="low", check=check,
    description="Each Site-to-Site VPN connection has a CloudWatch alarm on its TunnelState metric.",
    iso27001=("A.8.16", "A.8.21"), ccm=("LOG-03",),
    remediation=(
        "For each aws.ec2.VpnConnection add aws.cloudwatch.MetricAlarm(namespace='AWS/VPN', "
        "metric_name='TunnelState', dimensions={'VpnId': connection.id}, statistic='Maximum', period=300, "
        "evaluation_periods=1, comparison_operator='LessThanThreshold', threshold=1, alarm_actions=[<topic>])."
    ),
)
