"""Small Site-to-Site VPN building blocks for the VPN rules' tests: compliant by default, one knob per violation.

Shaped like the platform's `SiteToSiteVpn`: a virtual private gateway, a customer gateway, a connection
whose two tunnels pin IKEv2, AES256/AES256-GCM-16, SHA2 and DH groups 20/21 and log to an encrypted
log group, and TunnelState alarms on the connection's id.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from tests.policies.harness import TAGS, pinned

CONNECTION_URN = "aws:ec2/vpnConnection:VpnConnection::vpn"
PRESHARED_KEY = "abcdefgh12345678"
PEER_IP = "198.51.100.10"  # the client device's public address (documentation range)
_DROP = object()
DROP: Any = _DROP
STRONG: dict[str, Any] = {
    "ike_versions": ["ikev2"],
    "phase1_encryption_algorithms": ["AES256", "AES256-GCM-16"],
    "phase2_encryption_algorithms": ["AES256", "AES256-GCM-16"],
    "phase1_integrity_algorithms": ["SHA2-256", "SHA2-384", "SHA2-512"],
    "phase2_integrity_algorithms": ["SHA2-256", "SHA2-384", "SHA2-512"],
    "phase1_dh_group_numbers": [20, 21],
    "phase2_dh_group_numbers": [20, 21],
}


def log_group(p: aws.Provider) -> aws.cloudwatch.LogGroup:
    """The encrypted log group the tunnels write to (its ARN is unknown in preview)."""
    key = aws.kms.Key("vpn-key", enable_key_rotation=True, tags=TAGS, opts=pinned(p, protect=True))
    return aws.cloudwatch.LogGroup("vpn-logs", kms_key_id=key.arn, retention_in_days=365, tags=TAGS,
                                   opts=pinned(p, protect=True))


def log_options(group: aws.cloudwatch.LogGroup | None, *, enabled: bool | None = True) -> dict[str, Any]:
    """A tunnel's log options (input-dict form): CloudWatch logging to `group`."""
    cloudwatch: dict[str, Any] = {"log_output_format": "json"}
    if enabled is not None:
        cloudwatch["log_enabled"] = enabled
    if group is not None:
        cloudwatch["log_group_arn"] = group.arn
    return {"cloudwatch_log_options": cloudwatch}


def connection(p: aws.Provider, group: aws.cloudwatch.LogGroup | None, *, name: str = "vpn",
               tunnel1: dict[str, Any] | None = None, tunnel2: dict[str, Any] | None = None,
               preshared_key: pulumi.Input[str] | None = None,
               peer_ip: pulumi.Input[str] = PEER_IP) -> aws.ec2.VpnConnection:
    """A connection with strong crypto and logging on both tunnels.

    `tunnel1`/`tunnel2` change that tunnel's settings (keys without the `tunnelN_` prefix, e.g.
    `ike_versions`, `log_options`); `DROP` removes a setting. `peer_ip`: the customer gateway's address.
    """
    vgw = aws.ec2.VpnGateway(f"{name}-vgw", amazon_side_asn="64512", tags=TAGS, opts=pinned(p))
    cgw = aws.ec2.CustomerGateway(f"{name}-cgw", bgp_asn="65010", ip_address=peer_ip, type="ipsec.1",
                                  tags=TAGS, opts=pinned(p))
    kwargs: dict[str, Any] = {}
    for number, changes in ((1, tunnel1 or {}), (2, tunnel2 or {})):
        settings: dict[str, Any] = {**STRONG, "dpd_timeout_action": "restart",
                                    "inside_cidr": f"169.254.{10 + number}.0/30",
                                    "log_options": log_options(group)}
        if preshared_key is not None:
            settings["preshared_key"] = preshared_key
        settings.update(changes)
        kwargs.update({f"tunnel{number}_{key}": value for key, value in settings.items() if value is not DROP})
    return aws.ec2.VpnConnection(name, vpn_gateway_id=vgw.id, customer_gateway_id=cgw.id, type="ipsec.1",
                                 static_routes_only=True, tags=TAGS, opts=pinned(p), **kwargs)


def tunnel_alarm(p: aws.Provider, name: str, dimensions: pulumi.Input[dict[str, pulumi.Input[str]]], *,
                 namespace: str = "AWS/VPN", metric_name: str = "TunnelState") -> aws.cloudwatch.MetricAlarm:
    """A TunnelState alarm (tunnel down: the maximum state drops below 1)."""
    return aws.cloudwatch.MetricAlarm(
        name, namespace=namespace, metric_name=metric_name, dimensions=dimensions, statistic="Maximum",
        period=300, evaluation_periods=1, comparison_operator="LessThanThreshold", threshold=1,
        treat_missing_data="breaching", tags=TAGS, opts=pinned(p),
    )
