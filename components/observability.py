"""`Observability`: the environment's alarms, event rules and dashboard, all to the alerts topic.

What pages the SRE team, per environment (thresholds from `connect:alerts.thresholds`):
- per service (its target group on the internal load balancer, its ECS service): 5xx rate, target
  response time p95 and p99, unhealthy targets, running tasks below the client's base (the floor
  is a promise), CPU and memory high;
- the load balancer's own 5xx rate (target timeouts and refused connections never reach a
  target's counters);
- per NAT gateway: port-allocation errors and the share of dropped packets;
- AWS Backup and copy jobs of this environment's vault that fail, and image scans of the
  repositories its services run that find CRITICAL or HIGH vulnerabilities (EventBridge rules: these
  are events, not metrics).
The VPN's TunnelState alarms stay where they are (`SiteToSiteVpn`): they are part of the link and
already go to the same topic; the dashboard shows them.

Missing data is decided per alarm: silence means "all is well" where a metric is only published
while something happens (no requests, no tasks, no NAT traffic), and "breached" only for the
floor, where silence cannot prove that the base capacity still runs.

DR standby: CloudWatch alarms and EventBridge rules publish only to topics of their own region, so
a warm standby gets its own alerts topic in the DR region (same subscribers, the DR key) and, per
standby service, alarms with the DR provider on running tasks below the standby base and on
unhealthy targets: a standby that cannot hold its tasks would not be there on failover. A pilot
light runs no tasks and serves no traffic, so it has nothing to alarm on; its backups and
replication are watched from the primary region (event rule, dashboard).

Every resource is keyed by a stable name (service, zone, link, rule), never by a list position.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerts import AlertsTopic, AlertsTopicArgs, topic_name
from components.config import AlertsConfig, DrConfig, ServiceConfig
from components.data import bucket_name
from components.network import TenantNetwork
from components.platform import ContainerPlatform

ALB = "AWS/ApplicationELB"
ECS = "AWS/ECS"
INSIGHTS = "ECS/ContainerInsights"
NAT = "AWS/NATGateway"
VPN = "AWS/VPN"
BACKUP_FAILED_STATES = ("FAILED", "ABORTED", "EXPIRED", "PARTIAL")
SEVERE = ("CRITICAL", "HIGH")
REPLICATION_RULE = "to-dr-region"  # the id DataStores gives its bucket replication rule
VPN_LEVELS = ("warning", "critical")  # SiteToSiteVpn's TunnelState alarms per link
ALARM_WIDGET_MAX = 100  # CloudWatch: alarms per alarm-status widget


def alarm_name(name_prefix: str, *parts: str) -> str:
    """Physical alarm name: `<client>-<env>-<what>`, unique per account and region.

    Service alarms are `svc-<service>-...`, so no service name (`alb`, `nat`...) can produce the name
    of another alarm: AWS would silently overwrite one alarm with the other.
    """
    return "-".join((name_prefix, *parts))


def alarm_arn(name: str, account_id: str, region: str) -> str:
    """An alarm's ARN from its name: known in preview, so the dashboard can list alarms by ARN."""
    return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"


def repositories(services: Sequence[ServiceConfig]) -> list[str]:
    """ECR repositories the environment's services run images from."""
    return sorted({service.image.repository for service in services})


def event_rule_names(name_prefix: str, services: Sequence[ServiceConfig]) -> dict[str, str]:
    """Rule key -> physical name of every EventBridge rule (the alerts topic admits exactly these)."""
    names = {"backup-jobs": f"{name_prefix}-backup-failed"}
    if repositories(services):
        names["ecr-scan"] = f"{name_prefix}-ecr-findings"
        names["inspector-scan"] = f"{name_prefix}-inspector-findings"
    return names


def severe_counts() -> dict[str, Any]:
    """Pattern part: a CRITICAL or a HIGH count above zero (`$or` of two numeric matches)."""
    return {"$or": [{"finding-severity-counts": {level: [{"numeric": [">", 0]}]}} for level in SEVERE]}


def event_patterns(name_prefix: str, account_id: str, region: str,
                   services: Sequence[ServiceConfig]) -> dict[str, dict[str, Any]]:
    """Rule key -> event pattern, built from known names only.

    Backup jobs are matched by this environment's primary vault and copy jobs by it as their
    source (other environments of the account have their own vaults and topics). Scans are the
    summary events (one per image scan, not one per finding): basic scanning's `ECR Image Scan`
    and enhanced scanning's initial `Inspector2 Scan`; the account stack decides which one fires.
    """
    account, prefix = account_id, name_prefix
    vault = f"{prefix}-primary"
    patterns: dict[str, dict[str, Any]] = {
        "backup-jobs": {
            "source": ["aws.backup"],
            "detail-type": ["Backup Job State Change", "Copy Job State Change"],
            "detail": {
                "state": list(BACKUP_FAILED_STATES),
                "$or": [
                    {"backupVaultName": [vault]},
                    {"sourceBackupVaultArn": [f"arn:aws:backup:{region}:{account}:backup-vault:{vault}"]},
                ],
            },
        },
    }
    repos = repositories(services)
    if repos:
        patterns["ecr-scan"] = {
            "source": ["aws.ecr"],
            "detail-type": ["ECR Image Scan"],
            "detail": {"scan-status": ["COMPLETE"], "repository-name": repos, **severe_counts()},
        }
        patterns["inspector-scan"] = {
            "source": ["aws.inspector2"],
            "detail-type": ["Inspector2 Scan"],
            "detail": {"repository-name": [f"arn:aws:ecr:{region}:{account}:repository/{r}" for r in repos],
                       **severe_counts()},
        }
    return patterns


@dataclass(frozen=True)
class Metric:
    """One CloudWatch metric as an alarm or a math expression reads it."""

    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]
    stat: str  # a statistic (Sum, Average, Maximum...) or a percentile (p95)


@dataclass
class ObservabilityArgs:
    """Inputs: the `connect:alerts` section (thresholds, subscribers of the DR region's topic); what it watches of
    the other sections (the `connect:services`, the `connect:dr` mode, the names of the `connect:data` buckets
    whose replication it charts, whether `connect:vpn` declares links); whose environment it is and its two
    regions; the alerts topic, and the resources watched (network, platform, links, file systems, standby)."""

    config: AlertsConfig
    services: list[ServiceConfig]
    dr: DrConfig
    buckets: list[str]  # store names of connect:data.buckets
    has_vpn_links: bool
    name_prefix: str
    account_id: str
    region: str
    dr_region: str
    alerts_topic_arn: pulumi.Input[str]  # the primary region's AlertsTopic
    network: TenantNetwork
    platform: ContainerPlatform | None = None
    vpn_connections: Mapping[str, aws.ec2.VpnConnection] = field(default_factory=dict)
    file_systems: Mapping[str, aws.efs.FileSystem] = field(default_factory=dict)
    dr_platform: ContainerPlatform | None = None
    dr_provider: aws.Provider | None = None
    dr_kms_key_arn: pulumi.Input[str] | None = None


class Observability(pulumi.ComponentResource):
    """CloudWatch alarms, EventBridge rules and one dashboard for an environment (and its warm standby).

    The environment stacks name it "alerts", like the `AlertsTopic` it publishes to (components/stack.py says why
    that Pulumi name stays): the alarms' and rules' resource names start with it.
    """

    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    rules: dict[str, aws.cloudwatch.EventRule]
    dashboard: aws.cloudwatch.Dashboard
    dr_topic: AlertsTopic | None

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:observability:Observability", name, None, opts)
        self._name, self._args = name, args
        self.alarms, self.rules, self.dr_topic = {}, {}, None
        self._alarm_arns: dict[str, list[str]] = {}  # dashboard section -> alarm ARNs
        if args.platform is not None:
            for service in sorted(args.services, key=lambda s: s.name):
                self._service_alarms(service, args.platform)
            self._load_balancer_alarm(args.platform)
        for zone, nat in sorted(args.network.nat_gateways.items()):
            self._nat_alarms(zone, nat)
        self._event_rules()
        if self._dr_region_alerted():
            self._dr_topic()
        if self._standby_watched():
            self._standby()
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=self.dashboard_name,
            dashboard_body=pulumi.Output.json_dumps({"widgets": self._widgets()}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dashboardName": self.dashboard_name, "alarmNames": sorted(self.alarms)})

    # --- alarms -------------------------------------------------------------------------------

    @property
    def dashboard_name(self) -> str:
        """`connect-<client>-<env>`: one dashboard per environment."""
        return f"connect-{self._args.name_prefix}"

    def _alarm(self, key: str, section: str, *, parts: Sequence[str], description: str, severity: str,
               comparison: str, threshold: float, missing: str, metric: Metric | None = None,
               queries: Sequence[aws.cloudwatch.MetricAlarmMetricQueryArgs] = (), dr: bool = False) -> None:
        """One alarm to the topic of its region, on a metric or on a metric math expression."""
        args, thresholds = self._args, self._args.config.thresholds
        region = args.dr_region if dr else args.region
        topic = self._args.alerts_topic_arn
        if dr:
            assert self.dr_topic is not None  # _standby creates the DR topic before its alarms
            topic = self.dr_topic.topic.arn
        name = alarm_name(args.name_prefix, *parts)
        single: dict[str, Any] = {}
        if metric is not None:
            single = {"namespace": metric.namespace, "metric_name": metric.name, "dimensions": metric.dimensions,
                      "period": thresholds.period_seconds}
            single["extended_statistic" if metric.stat.startswith("p") else "statistic"] = metric.stat
        self.alarms[key] = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{key}",
            name=name,
            alarm_description=f"[{severity}] {args.name_prefix}: {description}",
            comparison_operator=comparison,
            threshold=threshold,
            evaluation_periods=thresholds.evaluation_periods,
            datapoints_to_alarm=thresholds.evaluation_periods,
            treat_missing_data=missing,
            metric_queries=list(queries) or None,
            actions_enabled=True,
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={"connect:severity": severity},
            opts=pulumi.ResourceOptions(parent=self, provider=self._args.dr_provider if dr else None),
            **single,
        )
        # The dashboard lives in the primary region: a failover (`connect:dr.active`) must not change it, so the
        # alarms only a serving pilot light has stay off it.
        if not (dr and args.dr.active and args.dr.mode != "warm-standby"):
            self._alarm_arns.setdefault(section, []).append(alarm_arn(name, args.account_id, region))

    def _rate(self, errors: Metric, requests: Metric, label: str) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgs]:
        """`100 * errors / requests` per period, 0 below the minimum request count (too few to judge)."""
        thresholds = self._args.config.thresholds

        def query(query_id: str, metric: Metric) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=query_id, return_data=False,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace=metric.namespace, metric_name=metric.name, dimensions=metric.dimensions,
                    period=thresholds.period_seconds, stat=metric.stat))

        minimum = max(thresholds.minimum_requests, 1)  # never divide by zero requests
        expression = f"IF(requests >= {minimum}, 100 * FILL(errors, 0) / requests, 0)"
        return [query("errors", errors), query("requests", requests),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(id="rate", expression=expression, label=label,
                                                          return_data=True)]

    def _service_alarms(self, service: ServiceConfig, platform: ContainerPlatform) -> None:
        """5xx rate, latency p95/p99, unhealthy targets, the floor, CPU and memory of one service."""
        t = self._args.config.thresholds
        s = service.name
        balanced = {"LoadBalancer": platform.load_balancer.arn_suffix,
                    "TargetGroup": platform.target_groups[s].arn_suffix}
        ecs = {"ClusterName": platform.cluster.name, "ServiceName": platform.services[s].name}
        window = f"{t.evaluation_periods} x {t.period_seconds} s"
        section = f"service:{s}"
        self._alarm(
            f"service-{s}-5xx-rate", section, parts=("svc", s, "5xx-rate"), severity="critical",
            description=f"{s} answered more than {t.error_rate_percent:g}% of its requests with a 5xx for {window}",
            comparison="GreaterThanThreshold", threshold=t.error_rate_percent, missing="notBreaching",
            queries=self._rate(Metric(ALB, "HTTPCode_Target_5XX_Count", balanced, "Sum"),
                               Metric(ALB, "RequestCount", balanced, "Sum"), f"{s} 5xx %"),
        )
        for percentile, limit in (("p95", t.latency_p95_seconds), ("p99", t.latency_p99_seconds)):
            self._alarm(
                f"service-{s}-latency-{percentile}", section, parts=("svc", s, "latency", percentile),
                severity="warning",
                description=f"{s} responded slower than {limit:g} s at {percentile} for {window}",
                comparison="GreaterThanThreshold", threshold=limit, missing="notBreaching",
                metric=Metric(ALB, "TargetResponseTime", balanced, percentile),
            )
        self._alarm(
            f"service-{s}-unhealthy-hosts", section, parts=("svc", s, "unhealthy-hosts"), severity="critical",
            description=f"{s} has targets failing the load balancer's health check for {window}",
            comparison="GreaterThanOrEqualToThreshold", threshold=1, missing="notBreaching",
            metric=Metric(ALB, "UnHealthyHostCount", balanced, "Maximum"),
        )
        base = service.capacity.base
        self._alarm(
            f"service-{s}-below-base", section, parts=("svc", s, "below-base"), severity="critical",
            description=f"{s} ran fewer than its base of {base} task(s) for {window}: the client's floor is "
            "breached (no data counts as breached)",
            comparison="LessThanThreshold", threshold=base, missing="breaching",
            metric=Metric(INSIGHTS, "RunningTaskCount", ecs, "Maximum"),
        )
        for resource, limit in (("cpu", t.cpu_percent), ("memory", t.memory_percent)):
            metric = "CPUUtilization" if resource == "cpu" else "MemoryUtilization"
            self._alarm(
                f"service-{s}-{resource}-high", section, parts=("svc", s, resource, "high"), severity="warning",
                description=f"{s} averaged above {limit:g}% {resource} for {window} (autoscaling is at its "
                f"maximum of {service.capacity.max} or not keeping up)",
                comparison="GreaterThanThreshold", threshold=limit, missing="notBreaching",
                metric=Metric(ECS, metric, ecs, "Average"),
            )

    def _load_balancer_alarm(self, platform: ContainerPlatform) -> None:
        """5xx the load balancer answered itself (no healthy target, target timeouts, refused connections)."""
        t = self._args.config.thresholds
        balancer = {"LoadBalancer": platform.load_balancer.arn_suffix}
        self._alarm(
            "load-balancer-5xx-rate", "platform", parts=("alb", "5xx-rate"), severity="critical",
            description=f"the internal load balancer itself answered more than {t.error_rate_percent:g}% of "
            f"requests with a 5xx for {t.evaluation_periods} x {t.period_seconds} s",
            comparison="GreaterThanThreshold", threshold=t.error_rate_percent, missing="notBreaching",
            queries=self._rate(Metric(ALB, "HTTPCode_ELB_5XX_Count", balancer, "Sum"),
                               Metric(ALB, "RequestCount", balancer, "Sum"), "load balancer 5xx %"),
        )

    def _nat_alarms(self, zone: str, nat: aws.ec2.NatGateway) -> None:
        """Port allocation errors (connections refused) and the dropped share of packets, per NAT gateway."""
        t = self._args.config.thresholds
        gateway = {"NatGatewayId": nat.id}
        self._alarm(
            f"nat-{zone}-port-allocation", "network", parts=("nat", zone, "port-allocation"), severity="critical",
            description=f"the NAT gateway in {zone} could not allocate source ports: outbound connections fail "
            "(too many to one destination)",
            comparison="GreaterThanThreshold", threshold=0, missing="notBreaching",
            metric=Metric(NAT, "ErrorPortAllocation", gateway, "Sum"),
        )
        period = t.period_seconds

        def query(query_id: str, metric: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=query_id, return_data=False,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace=NAT, metric_name=metric, dimensions=gateway, period=period, stat="Sum"))

        self._alarm(
            f"nat-{zone}-packet-drops", "network", parts=("nat", zone, "packet-drops"), severity="warning",
            description=f"the NAT gateway in {zone} dropped more than {t.nat_packet_drop_percent:g}% of the packets "
            f"it received for {t.evaluation_periods} x {period} s",
            comparison="GreaterThanThreshold", threshold=t.nat_packet_drop_percent, missing="notBreaching",
            queries=[
                query("drops", "PacketsDropCount"), query("fromsource", "PacketsInFromSource"),
                query("fromdestination", "PacketsInFromDestination"),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="share", return_data=True, label=f"NAT {zone} dropped %",
                    expression="IF(fromsource + fromdestination > 0, 100 * FILL(drops, 0) / (fromsource + "
                    "fromdestination), 0)"),
            ],
        )

    # --- event rules --------------------------------------------------------------------------

    def _event_rules(self) -> None:
        """Backup/copy job failures and severe image scan findings, each rule targeting the topic."""
        args = self._args
        names = event_rule_names(args.name_prefix, args.services)
        descriptions = {
            "backup-jobs": f"AWS Backup or copy job of {args.name_prefix}-primary failed, aborted, expired or was "
                           "partial",
            "ecr-scan": f"ECR basic scan found CRITICAL or HIGH vulnerabilities in an image {args.name_prefix} runs",
            "inspector-scan": f"Inspector found CRITICAL or HIGH vulnerabilities in an image {args.name_prefix} runs",
        }
        for key, pattern in event_patterns(args.name_prefix, args.account_id, args.region, args.services).items():
            rule = aws.cloudwatch.EventRule(
                f"{self._name}-{key}",
                name=names[key],
                description=descriptions[key],
                event_pattern=json.dumps(pattern),
                tags={"connect:severity": "critical" if key == "backup-jobs" else "warning"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.cloudwatch.EventTarget(
                f"{self._name}-{key}-target",
                rule=rule.name,
                target_id="alerts-topic",
                arn=self._args.alerts_topic_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.rules[key] = rule

    # --- DR standby ---------------------------------------------------------------------------

    def _dr_region_alerted(self) -> bool:
        """The DR region has something that alarms (a standby platform, or VPN links ending there): alarms can
        only notify a topic of their own region, and it must not be the primary's, which may be out."""
        args = self._args
        return (args.dr_provider is not None and args.dr_kms_key_arn is not None
                and (args.dr_platform is not None or args.dr.vpn_enabled(args.has_vpn_links)))

    def _standby_watched(self) -> bool:
        """A warm standby, or any standby once it serves, runs tasks worth watching; a pilot light does not."""
        args = self._args
        return ((args.dr.mode == "warm-standby" or args.dr.active) and args.dr_platform is not None
                and args.dr_provider is not None and args.dr_kms_key_arn is not None)

    def _standby_base(self, service: ServiceConfig) -> int:
        """Tasks a standby service holds (ContainerPlatform's base override): the client's base once it serves."""
        if self._args.dr.active:
            return service.capacity.base
        return min(self._args.dr.warm_standby_base, service.capacity.base)

    def _dr_topic(self) -> None:
        """The DR region's own alerts topic, with the primary's subscriptions."""
        args = self._args
        assert args.dr_kms_key_arn is not None  # _dr_region_alerted
        self.dr_topic = AlertsTopic(
            "dr-alerts",
            AlertsTopicArgs(config=args.config, name_prefix=args.name_prefix, account_id=args.account_id,
                            region=args.dr_region, kms_key_arn=args.dr_kms_key_arn),
            pulumi.ResourceOptions(parent=self, provider=args.dr_provider),
        )

    def _standby(self) -> None:
        """Per standby service, its floor and its health, to the DR region's topic."""
        args = self._args
        assert args.dr_platform is not None  # _standby_watched
        t = args.config.thresholds
        platform = args.dr_platform
        window = f"{t.evaluation_periods} x {t.period_seconds} s"
        for service in sorted(args.services, key=lambda s: s.name):
            s, base = service.name, self._standby_base(service)
            ecs = {"ClusterName": platform.cluster.name, "ServiceName": platform.services[s].name}
            balanced = {"LoadBalancer": platform.load_balancer.arn_suffix,
                        "TargetGroup": platform.target_groups[s].arn_suffix}
            self._alarm(
                f"dr-service-{s}-below-standby-base", "dr", parts=("dr", "svc", s, "below-standby-base"),
                severity="warning", dr=True,
                description=f"standby {s} in {args.dr_region} ran fewer than {base} task(s) for {window}: the "
                "warm standby would not be warm on failover (no data counts as breached)",
                comparison="LessThanThreshold", threshold=base, missing="breaching",
                metric=Metric(INSIGHTS, "RunningTaskCount", ecs, "Maximum"),
            )
            self._alarm(
                f"dr-service-{s}-unhealthy-hosts", "dr", parts=("dr", "svc", s, "unhealthy-hosts"), severity="warning",
                dr=True, description=f"standby {s} in {args.dr_region} has targets failing health checks "
                f"for {window}",
                comparison="GreaterThanOrEqualToThreshold", threshold=1, missing="notBreaching",
                metric=Metric(ALB, "UnHealthyHostCount", balanced, "Maximum"),
            )

    # --- dashboard ----------------------------------------------------------------------------

    def _widgets(self) -> list[dict[str, Any]]:
        """Sections: alarms, each service, the load balancer, network (NAT), VPN, DR; laid out in rows."""
        args = self._args
        region, t = args.region, args.config.thresholds
        layout = _Layout()
        layout.text(f"# {args.name_prefix}\nAlarms go to SNS topic `{topic_name(args.name_prefix)}` "
                    f"({region}); thresholds from `connect:alerts.thresholds`.")
        everything = [a for section in sorted(self._alarm_arns) for a in self._alarm_arns[section]
                      if section != "dr"] + self._vpn_alarm_arns()
        for start in range(0, len(everything), ALARM_WIDGET_MAX):
            layout.widget("alarm", {"title": "Alarms", "region": region,
                                    "alarms": everything[start:start + ALARM_WIDGET_MAX]}, width=24, height=4)
        platform = args.platform
        if platform is not None:
            for service in sorted(args.services, key=lambda s: s.name):
                self._service_section(layout, service, platform)
            balancer = {"LoadBalancer": platform.load_balancer.arn_suffix}
            layout.text("## Load balancer")
            layout.metric("Load balancer: requests and its own 5xx", region, [
                [ALB, "RequestCount", "LoadBalancer", balancer["LoadBalancer"], {"stat": "Sum"}],
                [ALB, "HTTPCode_ELB_5XX_Count", "LoadBalancer", balancer["LoadBalancer"], {"stat": "Sum"}],
            ], t.period_seconds)
        layout.text("## Network: NAT gateways")
        for zone, nat in sorted(args.network.nat_gateways.items()):
            layout.metric(f"NAT {zone}", region, [
                [NAT, "ErrorPortAllocation", "NatGatewayId", nat.id, {"stat": "Sum"}],
                [NAT, "PacketsDropCount", "NatGatewayId", nat.id, {"stat": "Sum"}],
                [NAT, "ActiveConnectionCount", "NatGatewayId", nat.id, {"stat": "Maximum"}],
            ], t.period_seconds)
        if args.vpn_connections:
            layout.text("## VPN")
            for link, connection in sorted(args.vpn_connections.items()):
                layout.metric(f"VPN {link}: tunnel state (1 = both up, 0 = both down)", region, [
                    [VPN, "TunnelState", "VpnId", connection.id, {"stat": "Minimum", "label": f"{link} state"}],
                    [VPN, "TunnelDataIn", "VpnId", connection.id, {"stat": "Sum", "yAxis": "right"}],
                    [VPN, "TunnelDataOut", "VpnId", connection.id, {"stat": "Sum", "yAxis": "right"}],
                ], 300)
        self._dr_section(layout)
        return layout.widgets

    def _vpn_alarm_arns(self) -> list[str]:
        """ARNs of SiteToSiteVpn's TunnelState alarms, from the names it gives them."""
        args = self._args
        return [alarm_arn(alarm_name(args.name_prefix, "vpn", link, level), args.account_id, args.region)
                for link in sorted(self._args.vpn_connections) for level in VPN_LEVELS]

    def _dr_vpn_alarm_arns(self) -> list[str]:
        """The DR region's ends of the links (SiteToSiteVpn with `dr=True`, built in stack.py after this component):
        their TunnelState alarms, from the names they get, on the standby's alarm widget (alarms of one region per
        widget). They exist with the standby, active or not, so a failover leaves the dashboard as it is."""
        args = self._args
        if not (args.vpn_connections and args.dr.vpn_enabled(True)):
            return []
        return [alarm_arn(alarm_name(args.name_prefix, "dr-vpn", link, level), args.account_id, args.dr_region)
                for link in sorted(args.vpn_connections) for level in VPN_LEVELS]

    def _service_section(self, layout: _Layout, service: ServiceConfig, platform: ContainerPlatform) -> None:
        """Traffic, latency, tasks and resources of one service, with its thresholds drawn in."""
        region, t = self._args.region, self._args.config.thresholds
        s = service.name
        lb, tg = platform.load_balancer.arn_suffix, platform.target_groups[s].arn_suffix
        cluster, ecs_name = platform.cluster.name, platform.services[s].name
        by_tg = ["LoadBalancer", lb, "TargetGroup", tg]
        by_service = ["ClusterName", cluster, "ServiceName", ecs_name]
        layout.text(f"## Service {s}")
        layout.metric(f"{s}: requests and 5xx", region, [
            [ALB, "RequestCount", *by_tg, {"stat": "Sum"}],
            [ALB, "HTTPCode_Target_5XX_Count", *by_tg, {"stat": "Sum"}],
        ], t.period_seconds)
        layout.metric(f"{s}: response time", region, [
            [ALB, "TargetResponseTime", *by_tg, {"stat": "p95"}],
            [ALB, "TargetResponseTime", *by_tg, {"stat": "p99"}],
        ], t.period_seconds, lines=[("p95", t.latency_p95_seconds), ("p99", t.latency_p99_seconds)])
        layout.metric(f"{s}: tasks (base {service.capacity.base}, max {service.capacity.max})", region, [
            [INSIGHTS, "RunningTaskCount", *by_service, {"stat": "Maximum"}],
            [ALB, "HealthyHostCount", *by_tg, {"stat": "Minimum"}],
            [ALB, "UnHealthyHostCount", *by_tg, {"stat": "Maximum"}],
        ], t.period_seconds, lines=[("base", float(service.capacity.base))])
        layout.metric(f"{s}: CPU and memory %", region, [
            [ECS, "CPUUtilization", *by_service, {"stat": "Average"}],
            [ECS, "MemoryUtilization", *by_service, {"stat": "Average"}],
        ], t.period_seconds, lines=[("cpu", t.cpu_percent), ("memory", t.memory_percent)])

    def _dr_section(self, layout: _Layout) -> None:
        """Backup and copy jobs, bucket and file system replication, and the standby's tasks."""
        args = self._args
        region, dr_region = args.region, args.dr_region
        layout.text(f"## DR: backups and replication to {dr_region} (mode {args.dr.mode})")
        vault = f"{args.name_prefix}-primary"
        layout.metric(f"Backup and copy jobs of {vault}", region, [
            [{"expression": f"SEARCH('Namespace=\"AWS/Backup\" BackupVaultName=\"{vault}\"', 'Sum', 3600)",
              "id": "jobs"}],
        ], 3600)
        for bucket in sorted(args.buckets):
            source = bucket_name(args.name_prefix, bucket, args.account_id)
            replica = bucket_name(args.name_prefix, bucket, args.account_id, dr=True)
            dims = ["SourceBucket", source, "DestinationBucket", replica, "RuleId", REPLICATION_RULE]
            layout.metric(f"Bucket {bucket}: replication to {dr_region}", region, [
                ["AWS/S3", "ReplicationLatency", *dims, {"stat": "Maximum"}],
                ["AWS/S3", "OperationsFailedReplication", *dims, {"stat": "Sum", "yAxis": "right"}],
            ], 300, lines=[("15 min", 900.0)])
        for store, file_system in sorted(args.file_systems.items()):
            layout.metric(f"File system {store}: seconds since last sync to {dr_region}", region, [
                [{"expression": pulumi.Output.concat(
                    "SEARCH('Namespace=\"AWS/EFS\" MetricName=\"TimeSinceLastSync\" FileSystemId=\"",
                    file_system.id, "\"', 'Maximum', 300)"), "id": "sync"}],
            ], 300)
        platform = args.dr_platform
        if platform is not None:
            for service in sorted(args.services, key=lambda s: s.name):
                s = service.name
                # The standby's own base, whether or not it serves: the dashboard is not changed by a failover.
                base = min(args.dr.warm_standby_base, service.capacity.base) if args.dr.mode == "warm-standby" else 0
                layout.metric(f"Standby {s}: tasks (standby base {base})", dr_region, [
                    [INSIGHTS, "RunningTaskCount", "ClusterName", platform.cluster.name, "ServiceName",
                     platform.services[s].name, {"stat": "Maximum", "region": dr_region}],
                ], 300, lines=[("standby base", float(base))])
        standby = self._alarm_arns.get("dr", []) + self._dr_vpn_alarm_arns()
        for start in range(0, len(standby), ALARM_WIDGET_MAX):
            layout.widget("alarm", {"title": f"Standby alarms ({dr_region})", "region": dr_region,
                                    "alarms": standby[start:start + ALARM_WIDGET_MAX]}, width=24, height=3)

    def outputs(self) -> dict[str, object]:
        """Stack outputs: where to look (the dashboard) and, with a warm standby, its topic."""
        args = self._args
        out: dict[str, object] = {
            "dashboardUrl": f"https://{args.region}.console.aws.amazon.com/cloudwatch/home?region={args.region}"
                            f"#dashboards:name={self.dashboard_name}",
        }
        if self.dr_topic is not None:
            out["drAlertsTopicArn"] = self.dr_topic.topic.arn
        return out


class _Layout:
    """Places widgets left to right on CloudWatch's 24-column grid; a text header starts a new row."""

    WIDTH = 24

    def __init__(self) -> None:
        self.widgets: list[dict[str, Any]] = []
        self._x = self._y = self._row = 0

    def widget(self, kind: str, properties: dict[str, Any], width: int = 8, height: int = 6) -> None:
        """Append one widget, wrapping to a new row when it does not fit."""
        if self._x + width > self.WIDTH:
            self._x, self._y, self._row = 0, self._y + self._row, 0
        self.widgets.append({"type": kind, "x": self._x, "y": self._y, "width": width, "height": height,
                             "properties": properties})
        self._x += width
        self._row = max(self._row, height)

    def text(self, markdown: str) -> None:
        """A full-width header (a section starts on its own row)."""
        if self._x:
            self._x, self._y, self._row = 0, self._y + self._row, 0
        self.widget("text", {"markdown": markdown}, width=self.WIDTH, height=1 if "\n" not in markdown else 2)

    def metric(self, title: str, region: str, metrics: list[list[Any]], period: int,
               lines: Sequence[tuple[str, float]] = ()) -> None:
        """A time series of the given metrics, thresholds drawn as horizontal annotations."""
        properties: dict[str, Any] = {"title": title, "region": region, "view": "timeSeries", "stacked": False,
                                      "period": period, "metrics": metrics}
        if lines:
            properties["annotations"] = {"horizontal": [{"label": label, "value": value} for label, value in lines]}
        self.widget("metric", properties)
