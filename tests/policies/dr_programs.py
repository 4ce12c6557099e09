"""A standby the client can reach, for `dr-reachable` and `dns-private-only`: compliant by default, one knob each.

Shaped like the platform's issue #19 design: a primary (us-east-1) and a DR (us-west-2) provider; per region an
internal load balancer (the DR one beside an ECS cluster: the standby platform) and a VPN link to the same client
device; a private zone associated with a VPC of each region; a service name published as a failover pair of alias
records (the PRIMARY, with a relative name, checked by a CLOUDWATCH_METRIC health check; the SECONDARY with its full
name and a trailing dot); per region an inbound Resolver endpoint whose own security group admits TCP and UDP 53
only from the client's range. Knobs that concern the Resolver change the primary region's endpoint only.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from tests.policies.data_programs import DR_REGION, providers
from tests.policies.harness import REGION, TAGS, pinned
from tests.policies.vpn_programs import PEER_IP, connection

ZONE_NAME = "prod.acme.connect.internal"
SERVICE_NAME = f"api.{ZONE_NAME}"
ON_PREM = "172.16.0.0/16"
VPCS = {REGION: "vpc-0a1b2c3d4e5f60718", DR_REGION: "vpc-0f1e2d3c4b5a69788"}
SUBNETS = {REGION: ["subnet-0a1b2c3d4e5f60718", "subnet-0b1b2c3d4e5f60718"],
           DR_REGION: ["subnet-0c1b2c3d4e5f60718", "subnet-0d1b2c3d4e5f60718"]}


def _alias(lb: aws.lb.LoadBalancer) -> Any:
    return [{"name": lb.dns_name, "zone_id": lb.zone_id, "evaluate_target_health": False}]


def resolver(p: aws.Provider, region: str, prefix: str = "", *, direction: str = "INBOUND",
             sources: tuple[str, ...] = (ON_PREM,), inline_ingress: list[dict[str, Any]] | None = None,
             group_ids: list[str] | None = None) -> aws.route53.ResolverEndpoint:
    """An inbound endpoint in two subnets of `region`, its own group admitting TCP/UDP 53 from each of `sources`
    (standalone rules), plus `inline_ingress` on the group; `group_ids`: literal ids instead of the group."""
    ingress: Any = inline_ingress  # plain dicts in the SDK's snake_case input shape
    group = aws.ec2.SecurityGroup(f"{prefix}resolver-sg", vpc_id=VPCS[region], ingress=ingress,
                                  description="Route 53 Resolver inbound endpoint", tags=TAGS, opts=pinned(p))
    for number, source in enumerate(sources, start=1):
        for protocol in ("tcp", "udp"):
            aws.vpc.SecurityGroupIngressRule(f"{prefix}resolver-{protocol}-53-{number}", security_group_id=group.id,
                                             cidr_ipv4=source, ip_protocol=protocol, from_port=53, to_port=53,
                                             description="DNS from the client", tags=TAGS, opts=pinned(p))
    ids: list[Any] = list(group_ids) if group_ids else [group.id]
    return aws.route53.ResolverEndpoint(
        f"{prefix}resolver", direction=direction, security_group_ids=ids,
        ip_addresses=[{"subnet_id": s} for s in SUBNETS[region]], tags=TAGS, opts=pinned(p))


def reachable(*, standby: bool = True, dr_vpn: bool = True, dr_peer_ip: pulumi.Input[str] = PEER_IP,
              peer_ip: pulumi.Input[str] = PEER_IP, failover: bool = True,
              health_type: str | None = "CLOUDWATCH_METRIC", secondary: str | None = "dr",
              zone_regions: tuple[str, ...] = (REGION, DR_REGION), switch: bool = False,
              **resolver_knobs: Any) -> None:
    """The program.

    `standby`: a DR platform (cluster and load balancer; False: backup-restore, which also drops the DR VPN and
    resolver); `failover`: False publishes one plain alias record; `health_type`: None for no health check;
    `switch`: the PRIMARY's check is CALCULATED from that check and a declared-failover switch (a CLOUDWATCH_METRIC
    check on a DR-region alarm), as the platform builds it; `secondary`: the SECONDARY record's target ("dr",
    "primary") or None for none; `zone_regions`: the regions whose VPC the zone is associated with (none: a public
    zone); `resolver_knobs`: see `resolver`.
    """
    primary, dr = providers()
    lb = aws.lb.LoadBalancer("alb", internal=True, subnets=SUBNETS[REGION], tags=TAGS, opts=pinned(primary))
    connection(primary, None, name="vpn", peer_ip=peer_ip)
    dr_lb = None
    if standby:
        aws.ecs.Cluster("dr-cluster", tags=TAGS, opts=pinned(dr))
        dr_lb = aws.lb.LoadBalancer("dr-alb", internal=True, subnets=SUBNETS[DR_REGION], tags=TAGS, opts=pinned(dr))
        if dr_vpn:
            connection(dr, None, name="dr-vpn", peer_ip=dr_peer_ip)
    zone = aws.route53.Zone("zone", name=ZONE_NAME, tags=TAGS, opts=pinned(primary),
                            vpcs=[{"vpc_id": VPCS[r], "vpc_region": r} for r in zone_regions] or None)
    if not failover:
        aws.route53.Record("api", zone_id=zone.zone_id, name="api", type="A", aliases=_alias(lb),
                           opts=pinned(primary))
    else:
        check = aws.route53.HealthCheck(
            "api-health", type=health_type, cloudwatch_alarm_name="acme-prod-api-serving",
            cloudwatch_alarm_region=REGION, insufficient_data_health_status="LastKnownStatus", tags=TAGS,
            opts=pinned(primary)) if health_type else None
        if switch and check is not None:  # healthy only while the service serves and no failover is declared
            declared = aws.route53.HealthCheck(
                "failover-switch", type="CLOUDWATCH_METRIC", cloudwatch_alarm_name="acme-prod-failover-declared",
                cloudwatch_alarm_region=DR_REGION, insufficient_data_health_status="Healthy", tags=TAGS,
                opts=pinned(primary))
            check = aws.route53.HealthCheck("api-primary-health", type="CALCULATED", child_health_threshold=2,
                                            child_healthchecks=[check.id, declared.id], tags=TAGS,
                                            opts=pinned(primary))
        aws.route53.Record("api-primary", zone_id=zone.zone_id, name="api", type="A", set_identifier="primary",
                           failover_routing_policies=[{"type": "PRIMARY"}], aliases=_alias(lb),
                           health_check_id=check.id if check else None, opts=pinned(primary))
        target = {"dr": dr_lb, "primary": lb}.get(secondary or "")
        if target is not None:
            aws.route53.Record("api-dr", zone_id=zone.zone_id, name=f"{SERVICE_NAME}.", type="A", set_identifier="dr",
                               failover_routing_policies=[{"type": "SECONDARY"}], aliases=_alias(target),
                               opts=pinned(primary))
    resolver(primary, REGION, **resolver_knobs)
    if standby:
        resolver(dr, DR_REGION, "dr-")
