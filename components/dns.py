"""`ServiceNames`: one DNS name per service that answers in both regions, and the way in for the client's DNS.

- **Zone.** A Route 53 private hosted zone for the environment (`connect:platform.dnsZone`, by default
  `<env>.<client>.connect.internal`), associated with the VPCs of both regions.
- **Records.** Per service, `<service>.<zone>` is an alias to the internal load balancer. With a standby in the
  DR region it is a failover pair: PRIMARY to the primary load balancer, SECONDARY to the standby's. Route 53's
  health checkers cannot reach a private load balancer, so the PRIMARY's health is a CloudWatch-alarm health
  check: the alarm watches the service's healthy targets in the primary region
  (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-private-hosted-zones.html). An alarm
  Route 53 cannot read (the region is out) keeps its last known status: a pilot-light standby has no tasks until
  the failover is declared, so an unreadable alarm alone must not send the clients there.
- **Failover.** Each PRIMARY's health check is calculated: the service serves (the alarm above) AND no failover is
  declared (a switch: an alarm of the DR region that `connect:dr.active: true` puts in ALARM). Declaring the
  failover changes that alarm only; no record, no health check, nothing of the primary region or of a control
  plane that lives in us-east-1.
- **Resolvers.** A Route 53 Resolver inbound endpoint in the app tier of each region that has VPN links, so the
  client's DNS servers forward the zone over the VPN; its group admits DNS (TCP and UDP 53) from the data centres'
  ranges only (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-forwarding-inbound-queries-values.html).
  AWS requires two addresses per endpoint, in different zones.
- The load balancers' certificates must cover `*.<zone>` (`connectctl dr verify` checks it live).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.platform import ContainerPlatform

FAILOVER_NAMESPACE = "Connect/Failover"  # a metric nobody publishes: the switch alarm reads only its absence
RESOLVER_TIER = "app"  # where the VPN links reach: the load balancer's tier
RESOLVER_ADDRESSES = 2  # per endpoint: AWS's minimum, in two zones (each address is billed per hour)
HEALTHY_PERIOD_SECONDS = 60
UNHEALTHY_PERIODS = 3  # three minutes without a healthy target: the primary is not serving


def record_key(name: str) -> str:
    """A zone or record name as a resource-name part: payments-api.prod.acme.connect.internal -> dots to dashes."""
    return name.replace(".", "-")


@dataclass
class RegionalEnd:
    """What one region brings: its VPC, load balancer and, where the VPN links end, the resolver's subnets."""

    region: str
    vpc_id: pulumi.Input[str]
    platform: ContainerPlatform | None
    provider: aws.Provider | None = None
    resolver_subnet_ids: list[pulumi.Input[str]] = field(default_factory=list)
    on_prem: list[tuple[str, str]] = field(default_factory=list)  # (VPN connection, its on-premises range)


@dataclass
class ServiceNamesArgs:
    """Inputs: the zone name, the services, both regions' ends, whether the standby serves, the name prefix."""

    zone_name: str
    services: list[str]
    primary: RegionalEnd
    dr: RegionalEnd | None
    active: bool
    name_prefix: str


class ServiceNames(pulumi.ComponentResource):
    """Private zone, failover records with alarm health checks, and the inbound resolver endpoints."""

    zone: aws.route53.Zone
    records: dict[str, dict[str, aws.route53.Record]]
    health_checks: dict[str, aws.route53.HealthCheck]
    resolvers: dict[str, aws.route53.ResolverEndpoint]

    def __init__(self, name: str, args: ServiceNamesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:dns:ServiceNames", name, None, opts)
        self._name, self._args = name, args
        ends = [args.primary, *([args.dr] if args.dr else [])]
        self.zone = aws.route53.Zone(
            f"{name}-zone", name=args.zone_name, force_destroy=False,
            comment=f"{args.name_prefix}: one name per service, answered in {' and '.join(e.region for e in ends)}",
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=end.vpc_id, vpc_region=end.region) for end in ends],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.records, self.health_checks, self.resolvers = {}, {}, {}
        self._failover_switch: aws.route53.HealthCheck | None = None
        if args.dr is not None and args.dr.platform is not None:
            self._switch()  # the environment's, not a service's: it stays when the last service goes
        for service in sorted(args.services):
            self._service(service)
        for which, end in (("primary", args.primary), ("dr", args.dr)):
            if end is not None and end.on_prem and end.resolver_subnet_ids:
                self._resolver(which, end)
        self.register_outputs({"zoneId": self.zone.zone_id})

    def fqdn(self, service: str) -> str:
        """The name clients use for a service, in both regions."""
        return f"{service}.{self._args.zone_name}"

    def _service(self, service: str) -> None:
        """The service's record: a failover pair when the standby has a load balancer, else a plain alias."""
        args, name = self._args, f"{self._name}-{service}"
        primary = args.primary.platform
        assert primary is not None  # the component exists only with a primary platform
        standby = args.dr.platform if args.dr is not None else None
        fqdn = self.fqdn(service)
        # A plain record and a failover pair cannot share a name: switching between them deletes first.
        keep_name = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        if standby is None:
            self.records[service] = {"primary": aws.route53.Record(
                f"{name}-record", zone_id=self.zone.zone_id, name=fqdn, type="A",
                aliases=[aws.route53.RecordAliasArgs(name=primary.load_balancer.dns_name,
                                                     zone_id=primary.load_balancer.zone_id,
                                                     evaluate_target_health=False)],
                opts=keep_name)}
            return
        health = self._health_check(service, primary)
        self.records[service] = {
            which: aws.route53.Record(
                f"{name}-{which}", zone_id=self.zone.zone_id, name=fqdn, type="A", set_identifier=which,
                failover_routing_policies=[aws.route53.RecordFailoverRoutingPolicyArgs(type=role)],
                aliases=[aws.route53.RecordAliasArgs(name=platform.load_balancer.dns_name,
                                                     zone_id=platform.load_balancer.zone_id,
                                                     evaluate_target_health=False)],
                health_check_id=health.id if which == "primary" else None,
                opts=keep_name)
            for which, role, platform in (("primary", "PRIMARY", primary), ("dr", "SECONDARY", standby))
        }

    def _switch(self) -> aws.route53.HealthCheck:
        """The declared failover, as a health check on an alarm of the DR region: `connect:dr.active` flips what the
        alarm makes of its (never published) metric, so the names move with a change the DR region's CloudWatch
        makes. Route 53's and IAM's control planes sit in us-east-1 and may be the ones out
        (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/disaster-recovery-resiliency.html): the failover
        changes no health check and no record, only this alarm; Route 53's data plane reads it.
        """
        if self._failover_switch is not None:
            return self._failover_switch
        args = self._args
        assert args.dr is not None
        dr_opts = pulumi.ResourceOptions(parent=self, provider=args.dr.provider)
        alarm_name = f"{args.name_prefix}-failover-declared"
        aws.cloudwatch.MetricAlarm(
            f"{self._name}-failover-declared",
            name=alarm_name,
            alarm_description=f"[failover] {args.name_prefix}: in ALARM while connect:dr.active is true, and every "
                              f"service name answers from {args.dr.region}",
            namespace=FAILOVER_NAMESPACE, metric_name="Declared", dimensions={"Environment": args.name_prefix},
            statistic="Maximum", period=HEALTHY_PERIOD_SECONDS, evaluation_periods=1,
            comparison_operator="GreaterThanOrEqualToThreshold", threshold=1.0,
            # Nothing publishes the metric: missing data decides, and the stack file decides what it means.
            treat_missing_data="breaching" if args.active else "notBreaching",
            tags={"connect:severity": "info"}, opts=dr_opts)
        self._failover_switch = aws.route53.HealthCheck(
            f"{self._name}-failover-switch", type="CLOUDWATCH_METRIC", cloudwatch_alarm_name=alarm_name,
            cloudwatch_alarm_region=args.dr.region,
            # An unreadable switch keeps the names where they are.
            insufficient_data_health_status="Healthy",
            reference_name="failover-switch", tags={"Name": f"{args.name_prefix}-failover-switch"},
            opts=pulumi.ResourceOptions(parent=self))
        return self._failover_switch

    def _health_check(self, service: str, platform: ContainerPlatform) -> aws.route53.HealthCheck:
        """The primary's health: its targets serve (an alarm of the primary region) and no failover is declared."""
        args, name = self._args, f"{self._name}-{service}"
        alarm_name = f"{args.name_prefix}-{service}-serving"
        aws.cloudwatch.MetricAlarm(
            f"{name}-serving",
            name=alarm_name,
            alarm_description=f"[failover] {service} in {args.primary.region} has had no healthy target for "
                              f"{UNHEALTHY_PERIODS} minutes: its name answers with the standby",
            namespace="AWS/ApplicationELB",
            metric_name="HealthyHostCount",
            dimensions={"TargetGroup": platform.target_groups[service].arn_suffix,
                        "LoadBalancer": platform.load_balancer.arn_suffix},
            statistic="Minimum",
            period=HEALTHY_PERIOD_SECONDS,
            evaluation_periods=UNHEALTHY_PERIODS,
            comparison_operator="LessThanThreshold",
            threshold=1.0,
            treat_missing_data="breaching",
            tags={"connect:severity": "info"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        serving = aws.route53.HealthCheck(
            f"{name}-health",
            type="CLOUDWATCH_METRIC",
            cloudwatch_alarm_name=alarm_name,
            cloudwatch_alarm_region=args.primary.region,
            insufficient_data_health_status="LastKnownStatus",
            reference_name=f"{service}-serving"[:64],
            tags={"Name": f"{args.name_prefix}-{service}-serving"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        check = aws.route53.HealthCheck(
            f"{name}-primary-health",
            type="CALCULATED",
            child_healthchecks=[serving.id, self._switch().id],
            child_health_threshold=2,  # serving, and no failover declared
            reference_name=f"{service}-primary"[:64],
            tags={"Name": f"{args.name_prefix}-{service}-primary"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.health_checks[service] = check
        return check

    def _resolver(self, which: str, end: RegionalEnd) -> None:
        """An inbound endpoint in the end's app tier; DNS from the data centres' ranges only."""
        args, name = self._args, f"{self._name}-resolver-{which}"
        opts = pulumi.ResourceOptions(parent=self, provider=end.provider)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=end.vpc_id,
            description="Route 53 Resolver inbound endpoint: DNS from the client's data centres only",
            tags={"Name": f"{args.name_prefix}-resolver-inbound", "connect:tier": RESOLVER_TIER}, opts=opts)
        # Keyed by link and range, so adding or removing a link touches only its own rules.
        for connection, cidr in sorted(end.on_prem):
            part = f"{connection}-{cidr.replace('.', '-').replace('/', '-')}"
            for protocol in ("tcp", "udp"):
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-sg-{protocol}-53-from-{part}", security_group_id=group.id, cidr_ipv4=cidr,
                    ip_protocol=protocol, from_port=53, to_port=53,
                    description=f"DNS queries over the VPN from {connection} ({cidr})", opts=opts)
                # Replies leave from the endpoint's port 53 to the querier's port: tracked, but stated exactly.
                aws.vpc.SecurityGroupEgressRule(
                    f"{name}-sg-{protocol}-replies-to-{part}", security_group_id=group.id, cidr_ipv4=cidr,
                    ip_protocol=protocol, from_port=1024, to_port=65535,
                    description=f"DNS replies to the resolvers of {connection} ({cidr})", opts=opts)
        self.resolvers[which] = aws.route53.ResolverEndpoint(
            name, name=f"{args.name_prefix}-inbound", direction="INBOUND",
            security_group_ids=[group.id], protocols=["Do53"],
            ip_addresses=[aws.route53.ResolverEndpointIpAddressArgs(subnet_id=subnet)
                          for subnet in end.resolver_subnet_ids],
            tags={"Name": f"{args.name_prefix}-inbound"}, opts=opts)

    def resolver_ips(self) -> dict[str, pulumi.Output[list[str]]]:
        """The inbound endpoints' addresses per region: what the client's DNS servers forward the zone to."""
        regions = {"primary": self._args.primary.region, "dr": self._args.dr.region if self._args.dr else ""}
        return {regions[which]: endpoint.ip_addresses.apply(lambda ips: sorted(str(ip.ip) for ip in ips if ip.ip))
                for which, endpoint in self.resolvers.items()}

    def outputs(self) -> dict[str, object]:
        """The zone, each service's name, and the resolvers' addresses per region."""
        out: dict[str, object] = {
            "dnsZone": self._args.zone_name,
            "dnsZoneId": self.zone.zone_id,
            "serviceDnsNames": {service: self.fqdn(service) for service in sorted(self._args.services)},
        }
        if self.resolvers:
            out["resolverInboundIps"] = self.resolver_ips()
        return out
