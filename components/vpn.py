"""`SiteToSiteVpn`: IPsec links from the environment to the client's data centres.

A virtual private gateway on the VPC; per connection (keyed by its name) one customer gateway and
ONE VPN connection resource whose options are all plain inputs, so switching between generated
and provided keys, or setting inside CIDRs, updates that connection instead of selecting an
alternative resource that would replace it and its tunnel IPs (anchors item 3). Both tunnels are
configured identically: IKEv2, AES-256, SHA-2, DH 20/21 by default, DPD restart, logs to an
encrypted log group. Routes reach every zone of each reachable tier; tunnel alarms go to the
alerts topic. The DR region's end of the same links is this component again, with the DR
provider, network and topic (`dr=True`: its own inside ranges and keys).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import STANDARD_ASN_MAX, CryptoConfig, TunnelConfig, VpnConfig, VpnConnectionConfig
from components.network import TenantNetwork

SecretLookup = Callable[[str], pulumi.Output[str]]
TUNNEL_LOG_RETENTION_DAYS = 365


def cidr_key(cidr: str) -> str:
    """A CIDR as a name part: 172.16.0.0/16 -> 172-16-0-0-16."""
    return cidr.replace(".", "-").replace("/", "-")


@dataclass
class SiteToSiteVpnArgs:
    """Inputs: VPN config, the network it attaches to, the load balancer's group, key, alerts, secrets."""

    config: VpnConfig
    network: TenantNetwork
    name_prefix: str
    kms_key_arn: pulumi.Input[str]
    alerts_topic_arn: pulumi.Input[str]
    secret: SecretLookup
    load_balancer_sg: aws.ec2.SecurityGroup | None = None
    dr: bool = False  # the DR region's end of the same links: its tunnels take `drInsideCidr`/`drPresharedKeySecret`


class SiteToSiteVpn(pulumi.ComponentResource):
    """Virtual private gateway, customer gateways, connections, routing, SG rules and tunnel alarms."""

    gateway: aws.ec2.VpnGateway
    connections: dict[str, aws.ec2.VpnConnection]
    customer_gateways: dict[str, aws.ec2.CustomerGateway]

    def __init__(self, name: str, args: SiteToSiteVpnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:vpn:SiteToSiteVpn", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        network = args.network
        self.gateway = aws.ec2.VpnGateway(
            f"{name}-gateway", vpc_id=network.vpc.id, amazon_side_asn=str(args.config.amazon_side_asn),
            tags={"Name": f"{args.name_prefix}-vgw"}, opts=child,
        )
        log_group_name = f"/connect/{args.name_prefix}/vpn-tunnels"
        # Retained, not protected (as a service's log group): removing the last connection takes the VPN out of
        # the stack and leaves the tunnel history in AWS, instead of stopping `pulumi up` at a protected group.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-tunnel-logs", name=log_group_name, kms_key_id=args.kms_key_arn,
            retention_in_days=TUNNEL_LOG_RETENTION_DAYS,
            tags={"connect:retain-on-delete": "true"},
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        self.connections, self.customer_gateways = {}, {}
        for conn in sorted(args.config.connections, key=lambda c: c.name):
            self._connection(conn)
        self._propagation()
        self.register_outputs({"connections": {k: c.id for k, c in self.connections.items()}})

    def _connection(self, conn: VpnConnectionConfig) -> None:
        """Customer gateway, the one connection resource, static routes, SG rules and alarms of a link."""
        name, args = f"{self._name}-{conn.name}", self._args
        child = pulumi.ResourceOptions(parent=self)
        asn = ({"bgp_asn": str(conn.bgp_asn)} if conn.bgp_asn <= STANDARD_ASN_MAX
               else {"bgp_asn_extended": str(conn.bgp_asn)})
        customer_gateway = aws.ec2.CustomerGateway(
            f"{name}-cgw", ip_address=conn.peer_ip, type="ipsec.1", device_name=conn.name,
            tags={"Name": f"{args.name_prefix}-{conn.name}"}, opts=child, **asn,
        )
        tunnels = conn.tunnels or [TunnelConfig(), TunnelConfig()]
        options: dict[str, object] = {}
        for number, tunnel in enumerate(tunnels, start=1):
            options |= self._tunnel_options(number, tunnel, conn.crypto)
        connection = aws.ec2.VpnConnection(  # type: ignore[call-overload]  # tunnelN_* built in a loop
            name,
            vpn_gateway_id=self.gateway.id,
            customer_gateway_id=customer_gateway.id,
            type="ipsec.1",
            static_routes_only=conn.static_routes,
            tags={"Name": f"{args.name_prefix}-{conn.name}"},
            opts=pulumi.ResourceOptions(
                parent=self,
                additional_secret_outputs=[
                    "tunnel1PresharedKey", "tunnel2PresharedKey", "customerGatewayConfiguration"],
            ),
            **options,
        )
        if conn.static_routes:
            for cidr in conn.on_prem_cidrs:
                aws.ec2.VpnConnectionRoute(
                    f"{name}-route-{cidr_key(cidr)}", vpn_connection_id=connection.id, destination_cidr_block=cidr,
                    opts=child,
                )
                for tier in conn.reachable_tiers:
                    for zone, table in sorted(args.network.route_tables[tier].items()):
                        aws.ec2.Route(
                            f"{name}-{tier}-{zone}-{cidr_key(cidr)}", route_table_id=table.id,
                            destination_cidr_block=cidr, gateway_id=self.gateway.id,
                            opts=pulumi.ResourceOptions(parent=self, depends_on=[connection]),
                        )
        if args.load_balancer_sg is not None and "app" in conn.reachable_tiers:
            for cidr in conn.on_prem_cidrs:
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-alb-from-{cidr_key(cidr)}",
                    security_group_id=args.load_balancer_sg.id,
                    cidr_ipv4=cidr, ip_protocol="tcp", from_port=443, to_port=443,
                    description=f"HTTPS to the internal load balancer from {conn.name} ({cidr})",
                    opts=child,
                )
        self._alarms(conn, connection)
        self.connections[conn.name] = connection
        self.customer_gateways[conn.name] = customer_gateway

    def _tunnel_options(self, number: int, tunnel: TunnelConfig, crypto: CryptoConfig) -> dict[str, object]:
        """The `tunnelN_*` inputs of one tunnel; absent key or CIDR means AWS chooses it."""
        prefix = f"tunnel{number}_"
        log_class = getattr(aws.ec2, f"VpnConnectionTunnel{number}LogOptionsArgs")
        cloudwatch_class = getattr(aws.ec2, f"VpnConnectionTunnel{number}LogOptionsCloudwatchLogOptionsArgs")
        options: dict[str, object] = {
            "ike_versions": crypto.ike_versions,
            "phase1_encryption_algorithms": crypto.phase1_encryption,
            "phase2_encryption_algorithms": crypto.phase2_encryption,
            "phase1_integrity_algorithms": crypto.phase1_integrity,
            "phase2_integrity_algorithms": crypto.phase2_integrity,
            "phase1_dh_group_numbers": crypto.phase1_dh_groups,
            "phase2_dh_group_numbers": crypto.phase2_dh_groups,
            "dpd_timeout_action": "restart",
            "startup_action": "start",
            "log_options": log_class(cloudwatch_log_options=cloudwatch_class(
                log_enabled=True, log_group_arn=self.log_group.arn, log_output_format="json")),
        }
        dr = self._args.dr
        inside, secret = ((tunnel.dr_inside_cidr, tunnel.dr_preshared_key_secret) if dr
                          else (tunnel.inside_cidr, tunnel.preshared_key_secret))
        if inside:
            options["inside_cidr"] = inside
        if secret:
            options["preshared_key"] = self._args.secret(secret)
        return {prefix + key: value for key, value in options.items()}

    def _alarms(self, conn: VpnConnectionConfig, connection: aws.ec2.VpnConnection) -> None:
        """TunnelState per connection: below 1 = a tunnel is down (warning); 0 = both down (critical)."""
        name, args = f"{self._name}-{conn.name}", self._args
        child = pulumi.ResourceOptions(parent=self)
        # The DR region's end is named apart: the page says which region's tunnels are down.
        kind, where = ("dr-vpn", " (DR region)") if args.dr else ("vpn", "")
        for level, statistic, operator, threshold, periods, text in (
            ("warning", "Minimum", "LessThanThreshold", 1.0, 3, "one tunnel is down: the link has no redundancy"),
            ("critical", "Maximum", "LessThanOrEqualToThreshold", 0.0, 2, "both tunnels are down: the data "
             "centre is unreachable"),
        ):
            aws.cloudwatch.MetricAlarm(
                f"{name}-tunnels-{level}",
                name=f"{args.name_prefix}-{kind}-{conn.name}-{level}",
                alarm_description=f"[{level}] VPN {conn.name}{where}: {text}",
                namespace="AWS/VPN",
                metric_name="TunnelState",
                dimensions={"VpnId": connection.id},
                statistic=statistic,
                period=300,
                evaluation_periods=periods,
                comparison_operator=operator,
                threshold=threshold,
                treat_missing_data="breaching",
                alarm_actions=[args.alerts_topic_arn],
                ok_actions=[args.alerts_topic_arn],
                tags={"connect:severity": level},
                opts=child,
            )

    def _propagation(self) -> None:
        """BGP links: the gateway propagates learned routes into every table of their reachable tiers."""
        tiers = sorted({t for c in self._args.config.connections if not c.static_routes for t in c.reachable_tiers})
        for tier in tiers:
            for zone, table in sorted(self._args.network.route_tables[tier].items()):
                aws.ec2.VpnGatewayRoutePropagation(
                    f"{self._name}-propagation-{tier}-{zone}", vpn_gateway_id=self.gateway.id,
                    route_table_id=table.id, opts=pulumi.ResourceOptions(parent=self),
                )

    def connection_outputs(self) -> dict[str, dict[str, object]]:
        """Per connection: tunnel outside IPs and the customer gateway id (what the client needs)."""
        return {
            name: {
                "tunnelOutsideIps": [c.tunnel1_address, c.tunnel2_address],
                "customerGatewayId": self.customer_gateways[name].id,
                "vpnConnectionId": c.id,
            }
            for name, c in self.connections.items()
        }

    def device_configurations(self) -> pulumi.Output[Any]:
        """The AWS-generated device configuration per connection: a secret (it holds the keys)."""
        configurations: dict[str, pulumi.Output[str]] = {
            name: c.customer_gateway_configuration for name, c in self.connections.items()}
        return pulumi.Output.secret(configurations)

