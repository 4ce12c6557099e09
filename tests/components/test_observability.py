"""Observability as planned from the real stack files: every alarm's metric, dimensions, threshold and
topic; the EventBridge rules, their targets and who may publish; the dashboard.

Dimensions are checked twice: in update mode against the exact values the watched resources return
(load balancer and target group ARN suffixes, cluster and service names, NAT gateway ids), and in
preview mode through the engine's property dependencies (which resource fed them).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from components.config import AlertThresholds
from tests.components.plans import DR, of_type, plan, plan_file, primary

ROOT = Path(__file__).resolve().parents[2]
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ENVIRONMENTS = ["acme-prod", "acme-staging", "globex-prod"]
DEFAULTS = AlertThresholds()
# What the stack files say: acme keeps the defaults, globex-prod sets its own (unset keys: defaults).
THRESHOLDS = {
    "acme-prod": DEFAULTS,
    "acme-staging": DEFAULTS,
    "globex-prod": DEFAULTS.model_copy(update={
        "evaluation_periods": 5, "error_rate_percent": 2.0, "latency_p95_seconds": 0.8, "latency_p99_seconds": 2.0,
        "cpu_percent": 80.0, "memory_percent": 90.0}),
}
BASES = {
    "acme-prod": {"payments-api": 2, "accounts-api": 2, "notifications-worker": 2},
    "acme-staging": {"payments-api": 1, "accounts-api": 1},
    "globex-prod": {"web-gateway": 3, "orders-api": 2, "catalog-api": 2, "billing-api": 2, "search-api": 2,
                    "reports-worker": 2},
}
REPOSITORIES = {
    "acme-prod": ["accounts-api", "notifications-worker", "payments-api"],
    "acme-staging": ["accounts-api", "payments-api"],
    "globex-prod": ["billing-api", "catalog-api", "orders-api", "reports-worker", "search-api", "web-gateway"],
}
# A stack file that changes every threshold away from its default (acme-prod otherwise).
CHANGED = {"periodSeconds": 300, "evaluationPeriods": 2, "errorRatePercent": 1.5, "minimumRequests": 50,
           "latencyP95Seconds": 0.3, "latencyP99Seconds": 0.9, "cpuPercent": 70, "memoryPercent": 75,
           "natPacketDropPercent": 0.5}


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    def mutate(config: dict) -> None:
        config["connect:alerts"]["thresholds"] = copy.deepcopy(CHANGED)

    return plan_file(tmp_path_factory.mktemp("changed"), "acme-prod", mutate)


def named(doc: dict, type_: str, name: str, dr: bool = False) -> dict:
    (found,) = [r for r in of_type(doc, type_, dr=dr) if r["name"] == name]
    return found


def alarms(doc: dict) -> dict[str, dict]:
    """Every alarm that pages, by its physical name. The service names' alarms (`dns-`, components/dns.py) page
    no one: Route 53 health checks read them (a service serving, a failover declared)."""
    return {r["inputs"]["name"]: r for r in doc["resources"] if r["type"] == ALARM and not r["name"].startswith("dns-")}


def region_of(doc: dict, resource: dict) -> str:
    provider = next(r for r in doc["resources"] if r["urn"] == resource["provider"].rsplit("::", 1)[0])
    return str(provider["inputs"]["region"])


def topic(doc: dict, dr: bool = False) -> dict:
    return next(r for r in doc["resources"] if r["type"] == "aws:sns/topic:Topic"
                and r["name"] == ("dr-alerts-topic" if dr else "alerts-topic"))


def query(inputs: dict, query_id: str) -> dict:
    """One entry of an alarm's `metricQueries` (its inputs), by id."""
    return next(q for q in inputs["metricQueries"] if q["id"] == query_id)


def expected_periods(doc: dict, t: AlertThresholds) -> None:
    for alarm in alarms(doc).values():
        if alarm["name"].startswith(("vpn-", "dr-vpn-")):
            continue  # SiteToSiteVpn's own tunnel alarms keep their fixed windows (in both regions)
        inputs = alarm["inputs"]
        assert inputs["evaluationPeriods"] == t.evaluation_periods, alarm["name"]
        assert inputs["datapointsToAlarm"] == t.evaluation_periods, alarm["name"]
        periods = [q["metric"]["period"] for q in inputs.get("metricQueries", []) if "metric" in q]
        assert (periods or [inputs["period"]]) == [t.period_seconds] * len(periods or [1]), alarm["name"]


def check_service_alarms(doc: dict, stack: str, t: AlertThresholds) -> None:
    """Update mode: every service's seven alarms read the right metric of the right resources."""
    prefix = stack if stack != "acme-prod-changed" else "acme-prod"
    found = alarms(doc)
    lb = named(doc, "aws:lb/loadBalancer:LoadBalancer", "platform-alb")["outputs"]["arnSuffix"]
    cluster = named(doc, "aws:ecs/cluster:Cluster", "platform-cluster")["outputs"]["name"]
    assert cluster == prefix
    bases = BASES[prefix]
    for service, base in bases.items():
        tg = named(doc, "aws:lb/targetGroup:TargetGroup", f"platform-{service}-tg")["outputs"]["arnSuffix"]
        ecs_name = named(doc, "aws:ecs/service:Service", f"platform-{service}-service")["outputs"]["name"]
        balanced = {"LoadBalancer": lb, "TargetGroup": tg}
        ecs = {"ClusterName": cluster, "ServiceName": ecs_name}
        assert tg.startswith("targetgroup/") and lb.startswith("app/")

        rate = found[f"{prefix}-svc-{service}-5xx-rate"]["inputs"]
        assert (query(rate, "errors")["metric"]["namespace"], query(rate, "errors")["metric"]["metricName"],
                query(rate, "errors")["metric"]["stat"]) == ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum")
        assert (query(rate, "requests")["metric"]["metricName"], query(rate, "requests")["metric"]["stat"]) == (
            "RequestCount", "Sum")
        assert query(rate, "errors")["metric"]["dimensions"] == balanced
        assert query(rate, "requests")["metric"]["dimensions"] == balanced
        assert query(rate, "rate")["expression"] == (
            f"IF(requests >= {max(t.minimum_requests, 1)}, 100 * FILL(errors, 0) / requests, 0)")
        assert query(rate, "rate")["returnData"] is True
        assert not query(rate, "errors")["returnData"] and not query(rate, "requests")["returnData"]
        assert "metricName" not in rate and "statistic" not in rate
        assert (rate["comparisonOperator"], rate["threshold"], rate["treatMissingData"]) == (
            "GreaterThanThreshold", t.error_rate_percent, "notBreaching")

        for percentile, limit in (("p95", t.latency_p95_seconds), ("p99", t.latency_p99_seconds)):
            latency = found[f"{prefix}-svc-{service}-latency-{percentile}"]["inputs"]
            assert (latency["namespace"], latency["metricName"], latency["extendedStatistic"]) == (
                "AWS/ApplicationELB", "TargetResponseTime", percentile)
            assert "statistic" not in latency
            assert latency["dimensions"] == balanced
            assert (latency["comparisonOperator"], latency["threshold"], latency["treatMissingData"]) == (
                "GreaterThanThreshold", limit, "notBreaching")

        unhealthy = found[f"{prefix}-svc-{service}-unhealthy-hosts"]["inputs"]
        assert (unhealthy["namespace"], unhealthy["metricName"], unhealthy["statistic"]) == (
            "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum")
        assert unhealthy["dimensions"] == balanced
        assert (unhealthy["comparisonOperator"], unhealthy["threshold"], unhealthy["treatMissingData"]) == (
            "GreaterThanOrEqualToThreshold", 1, "notBreaching")

        floor = found[f"{prefix}-svc-{service}-below-base"]["inputs"]
        assert (floor["namespace"], floor["metricName"], floor["statistic"]) == (
            "ECS/ContainerInsights", "RunningTaskCount", "Maximum")
        assert floor["dimensions"] == ecs
        assert (floor["comparisonOperator"], floor["threshold"], floor["treatMissingData"]) == (
            "LessThanThreshold", base, "breaching")

        for resource, metric, limit in (("cpu", "CPUUtilization", t.cpu_percent),
                                        ("memory", "MemoryUtilization", t.memory_percent)):
            high = found[f"{prefix}-svc-{service}-{resource}-high"]["inputs"]
            assert (high["namespace"], high["metricName"], high["statistic"]) == ("AWS/ECS", metric, "Average")
            assert high["dimensions"] == ecs
            assert (high["comparisonOperator"], high["threshold"], high["treatMissingData"]) == (
                "GreaterThanThreshold", limit, "notBreaching")

    elb = found[f"{prefix}-alb-5xx-rate"]["inputs"]
    assert query(elb, "errors")["metric"]["metricName"] == "HTTPCode_ELB_5XX_Count"
    assert query(elb, "errors")["metric"]["dimensions"] == {"LoadBalancer": lb}
    assert query(elb, "requests")["metric"]["dimensions"] == {"LoadBalancer": lb}
    assert elb["threshold"] == t.error_rate_percent


def check_nat_alarms(doc: dict, prefix: str, t: AlertThresholds) -> None:
    found = alarms(doc)
    gateways = {r["name"].removeprefix("network-nat-"): r["outputs"]["id"]
                for r in primary(doc, "aws:ec2/natGateway:NatGateway")}
    assert gateways and all(g.startswith("nat-") for g in gateways.values())
    nat_alarms = {name for name in found if name.startswith(f"{prefix}-nat-")}
    assert nat_alarms == {f"{prefix}-nat-{zone}-{what}" for zone in gateways
                          for what in ("port-allocation", "packet-drops")}
    for zone, gateway in gateways.items():
        ports = found[f"{prefix}-nat-{zone}-port-allocation"]["inputs"]
        assert (ports["namespace"], ports["metricName"], ports["statistic"], ports["dimensions"]) == (
            "AWS/NATGateway", "ErrorPortAllocation", "Sum", {"NatGatewayId": gateway})
        assert (ports["comparisonOperator"], ports["threshold"], ports["treatMissingData"]) == (
            "GreaterThanThreshold", 0, "notBreaching")
        drops = found[f"{prefix}-nat-{zone}-packet-drops"]["inputs"]
        metrics = {q["id"]: q["metric"] for q in drops["metricQueries"] if "metric" in q}
        assert {(m["namespace"], m["metricName"], m["stat"]) for m in metrics.values()} == {
            ("AWS/NATGateway", "PacketsDropCount", "Sum"), ("AWS/NATGateway", "PacketsInFromSource", "Sum"),
            ("AWS/NATGateway", "PacketsInFromDestination", "Sum")}
        assert all(m["dimensions"] == {"NatGatewayId": gateway} for m in metrics.values())
        assert query(drops, "share")["expression"] == (
            "IF(fromsource + fromdestination > 0, 100 * FILL(drops, 0) / (fromsource + fromdestination), 0)")
        assert (drops["threshold"], drops["treatMissingData"]) == (t.nat_packet_drop_percent, "notBreaching")


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_service_alarms_watch_the_right_target_group_and_service(stack: str) -> None:
    doc = plan(stack, False)
    check_service_alarms(doc, stack, THRESHOLDS[stack])
    expected_periods(doc, THRESHOLDS[stack])


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_nat_alarms_per_gateway(stack: str) -> None:
    doc = plan(stack, False)
    check_nat_alarms(doc, stack, THRESHOLDS[stack])
    assert len(primary(doc, "aws:ec2/natGateway:NatGateway")) == (1 if stack == "acme-staging" else 3)


def test_changed_thresholds_in_the_stack_file_reach_every_alarm(changed: dict) -> None:
    t = AlertThresholds.model_validate(CHANGED)
    assert t != DEFAULTS and all(getattr(t, f) != getattr(DEFAULTS, f) for f in AlertThresholds.model_fields)
    check_service_alarms(changed, "acme-prod-changed", t)
    check_nat_alarms(changed, "acme-prod", t)
    expected_periods(changed, t)
    assert changed["violations"] == []


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_dimensions_come_from_the_watched_resources_in_preview(stack: str) -> None:
    doc = plan(stack)
    urn = {r["name"]: r["urn"] for r in doc["resources"] if DR not in r["urn"]}
    found = alarms(doc)
    for service in BASES[stack]:
        balanced = sorted([urn["platform-alb"], urn[f"platform-{service}-tg"]])
        ecs = sorted([urn["platform-cluster"], urn[f"platform-{service}-service"]])
        deps = {what: found[f"{stack}-svc-{service}-{what}"]["propertyDependencies"] for what in (
            "5xx-rate", "latency-p95", "latency-p99", "unhealthy-hosts", "below-base", "cpu-high", "memory-high")}
        assert deps["5xx-rate"]["metricQueries"] == balanced
        assert deps["latency-p95"]["dimensions"] == deps["latency-p99"]["dimensions"] == balanced
        assert deps["unhealthy-hosts"]["dimensions"] == balanced
        # ClusterName and ServiceName are names the stack sets: known in preview, and still tied to the resources.
        assert deps["below-base"]["dimensions"] == deps["cpu-high"]["dimensions"] == ecs
        assert found[f"{stack}-svc-{service}-below-base"]["inputs"]["dimensions"] == {
            "ClusterName": stack, "ServiceName": service}
    for nat in primary(doc, "aws:ec2/natGateway:NatGateway"):
        zone = nat["name"].removeprefix("network-nat-")
        assert found[f"{stack}-nat-{zone}-port-allocation"]["propertyDependencies"]["dimensions"] == [nat["urn"]]
        assert found[f"{stack}-nat-{zone}-packet-drops"]["propertyDependencies"]["metricQueries"] == [nat["urn"]]
    assert doc["violations"] == []


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_every_alarm_notifies_the_topic_of_its_region_on_alarm_and_ok(stack: str, preview: bool) -> None:
    doc = plan(stack, preview)
    topics = {region_of(doc, t): t for t in doc["resources"] if t["type"] == "aws:sns/topic:Topic"}
    assert len(doc["resources"]) == doc["summary"]["resources"] and doc["violations"] == []
    for alarm in alarms(doc).values():
        target = topics[region_of(doc, alarm)]
        deps = alarm["propertyDependencies"]
        assert deps["alarmActions"] == deps["okActions"] == [target["urn"]], alarm["name"]
        inputs = alarm["inputs"]
        if not preview:
            assert inputs["alarmActions"] == inputs["okActions"] == [target["outputs"]["arn"]], alarm["name"]
        assert inputs.get("actionsEnabled", True) is True, alarm["name"]  # AWS's default when unset
        assert inputs["treatMissingData"] in {"breaching", "notBreaching"}, alarm["name"]
        assert inputs["tags"]["connect:severity"] in {"warning", "critical"}
        assert inputs["tags"]["connect:client"] == stack.split("-")[0]


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_vpn_tunnel_alarms_are_not_duplicated(stack: str) -> None:
    doc = plan(stack, False)
    tunnel_alarms = [a for a in alarms(doc).values() if a["inputs"].get("metricName") == "TunnelState"]
    connections = primary(doc, "aws:ec2/vpnConnection:VpnConnection")
    assert len(tunnel_alarms) == 2 * len(connections)
    assert all(a["name"].startswith(("vpn-", "dr-vpn-")) for a in tunnel_alarms)  # SiteToSiteVpn's, in each region


def rules(doc: dict) -> dict[str, dict]:
    return {r["inputs"]["name"]: r for r in doc["resources"] if r["type"] == RULE}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_event_rules_patterns_and_targets(stack: str, preview: bool) -> None:
    doc = plan(stack, preview)
    account = doc["outputs"]["kmsKeyArn"].split(":")[4] if not preview else (
        "222222222222" if stack.startswith("globex") else "111111111111")
    region = "eu-west-1" if stack.startswith("globex") else "us-east-1"
    found = rules(doc)
    assert sorted(found) == sorted([f"{stack}-backup-failed", f"{stack}-ecr-findings", f"{stack}-inspector-findings"])
    vault = named(doc, "aws:backup/vault:Vault", "dr-vault-primary", dr=True)["inputs"]["name"]  # DR's child
    assert vault == f"{stack}-primary"
    severe = {"$or": [{"finding-severity-counts": {"CRITICAL": [{"numeric": [">", 0]}]}},
                      {"finding-severity-counts": {"HIGH": [{"numeric": [">", 0]}]}}]}
    assert json.loads(found[f"{stack}-backup-failed"]["inputs"]["eventPattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change", "Copy Job State Change"],
        "detail": {"state": ["FAILED", "ABORTED", "EXPIRED", "PARTIAL"],
                   "$or": [{"backupVaultName": [vault]},
                           {"sourceBackupVaultArn": [f"arn:aws:backup:{region}:{account}:backup-vault:{vault}"]}]},
    }
    assert json.loads(found[f"{stack}-ecr-findings"]["inputs"]["eventPattern"]) == {
        "source": ["aws.ecr"], "detail-type": ["ECR Image Scan"],
        "detail": {"scan-status": ["COMPLETE"], "repository-name": REPOSITORIES[stack], **severe},
    }
    assert json.loads(found[f"{stack}-inspector-findings"]["inputs"]["eventPattern"]) == {
        "source": ["aws.inspector2"], "detail-type": ["Inspector2 Scan"],
        "detail": {"repository-name": [f"arn:aws:ecr:{region}:{account}:repository/{r}" for r in REPOSITORIES[stack]],
                   **severe},
    }
    # the repositories are exactly those the services pull from
    if not preview:
        images = {json.loads(t["inputs"]["containerDefinitions"])[0]["image"].split("/", 1)[1].split(":")[0]
                  .split("@")[0] for t in primary(doc, "aws:ecs/taskDefinition:TaskDefinition")}
        assert sorted(images) == REPOSITORIES[stack]
    primary_topic = topic(doc)
    targets = primary(doc, TARGET)
    assert len(targets) == len(found)
    for target in targets:
        assert target["propertyDependencies"]["arn"] == [primary_topic["urn"]]
        (rule_urn,) = target["propertyDependencies"]["rule"]
        rule = next(r for r in found.values() if r["urn"] == rule_urn)
        assert target["inputs"]["rule"] == rule["inputs"]["name"]
        assert region_of(doc, target) == region_of(doc, rule) == region_of(doc, primary_topic) == region
        if not preview:
            assert target["inputs"]["arn"] == primary_topic["outputs"]["arn"]
    assert not [r for r in found.values() if DR in r["urn"]]


def statement(policy: str, sid: str) -> dict:
    return next(s for s in json.loads(policy)["Statement"] if s["Sid"] == sid)


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_topic_policy_admits_exactly_this_accounts_alarms_and_these_rules(stack: str) -> None:
    doc = plan(stack)  # preview: the document is known before anything exists
    account = "222222222222" if stack.startswith("globex") else "111111111111"
    region = "eu-west-1" if stack.startswith("globex") else "us-east-1"
    (policy,) = [r for r in primary(doc, "aws:sns/topicPolicy:TopicPolicy") if r["name"] == "alerts-topic-policy"]
    assert policy["propertyDependencies"]["arn"] == [topic(doc)["urn"]]
    document = policy["inputs"]["policy"]
    arn = f"arn:aws:sns:{region}:{account}:{stack}-alerts"
    assert {s["Resource"] for s in json.loads(document)["Statement"]} == {arn}
    events = statement(document, "EventBridgeRulesOfThisEnvironmentPublish")
    assert events["Principal"] == {"Service": "events.amazonaws.com"} and events["Action"] == "sns:Publish"
    assert events["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnEquals": {"aws:SourceArn": sorted(f"arn:aws:events:{region}:{account}:rule/{name}" for name in rules(doc))},
    }
    alarms_statement = statement(document, "CloudWatchAlarmsOfThisAccountPublish")
    assert alarms_statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms_statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:*"},
    }
    owner = statement(document, "TenantAccountManagesTheTopic")
    assert owner["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert len(json.loads(document)["Statement"]) == 3


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_environment_key_lets_cloudwatch_and_eventbridge_of_this_account_use_it(stack: str) -> None:
    doc = plan(stack)
    account = "222222222222" if stack.startswith("globex") else "111111111111"
    for key in (named(doc, "aws:kms/key:Key", "environment-key"), named(doc, "aws:kms/key:Key", "dr-key")):
        for sid, service in (("CloudWatchAlarmsPublishToTheAlertsTopic", "cloudwatch.amazonaws.com"),
                             ("EventBridgeRulesPublishToTheAlertsTopic", "events.amazonaws.com")):
            found = statement(key["inputs"]["policy"], sid)
            assert found["Principal"] == {"Service": service}
            assert found["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
            assert found["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}
    key_urn = named(doc, "aws:kms/key:Key", "environment-key")["urn"]
    assert topic(doc)["propertyDependencies"]["kmsMasterKeyId"] == [key_urn]


def dashboard(doc: dict) -> dict:
    (board,) = [r for r in doc["resources"] if r["type"] == "aws:cloudwatch/dashboard:Dashboard"]
    return board


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_dashboard_shows_every_service_nat_gateway_vpn_link_and_alarm(stack: str) -> None:
    doc = plan(stack, False)
    board = dashboard(doc)
    assert board["inputs"]["dashboardName"] == f"connect-{stack}"
    assert doc["outputs"]["dashboardUrl"].endswith(f"#dashboards:name=connect-{stack}")
    body = json.loads(board["inputs"]["dashboardBody"])
    text = json.dumps(body)
    widgets = body["widgets"]
    headers = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    for service in BASES[stack]:
        assert f"## Service {service}" in headers
        tg = named(doc, "aws:lb/targetGroup:TargetGroup", f"platform-{service}-tg")["outputs"]["arnSuffix"]
        assert tg in text
    for nat in primary(doc, "aws:ec2/natGateway:NatGateway"):
        assert nat["outputs"]["id"] in text and f"NAT {nat['name'].removeprefix('network-nat-')}" in text
    connections = [c for c in primary(doc, "aws:ec2/vpnConnection:VpnConnection") if c["name"].startswith("vpn-")]
    assert connections  # the primary's links (the DR region's end has its own alarms)
    for connection in connections:
        link = connection["name"].removeprefix("vpn-")
        assert connection["outputs"]["id"] in text and f"VPN {link}" in text
    assert "## VPN" in headers and "## Network: NAT gateways" in headers
    assert any(h.startswith("## DR") for h in headers)
    assert f"BackupVaultName=\\\"{stack}-primary\\\"" in text
    # every alarm of the primary region, the VPN's included, is on an alarm widget, by its real name
    account, region = doc["outputs"]["kmsKeyArn"].split(":")[4], doc["outputs"]["region"]
    listed = {a for w in widgets if w["type"] == "alarm" for a in w["properties"]["alarms"]}
    for name, alarm in alarms(doc).items():
        assert f"arn:aws:cloudwatch:{region_of(doc, alarm)}:{account}:alarm:{name}" in listed, name
    assert len(listed) == len(alarms(doc))
    assert {region_of(doc, a) for a in alarms(doc).values()} <= {region, doc["outputs"]["drRegion"]}


@pytest.mark.parametrize("stack", ENVIRONMENTS)
def test_dashboard_widgets_fit_the_grid_without_overlapping(stack: str) -> None:
    widgets = json.loads(dashboard(plan(stack, False))["inputs"]["dashboardBody"])["widgets"]
    cells: set[tuple[int, int]] = set()
    for widget in widgets:
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 24
        mine = {(x, y) for x in range(widget["x"], widget["x"] + widget["width"])
                for y in range(widget["y"], widget["y"] + widget["height"])}
        assert not mine & cells, widget
        cells |= mine
        if widget["type"] == "alarm":
            assert 0 < len(widget["properties"]["alarms"]) <= 100


def test_dashboard_dr_section_names_the_replicated_stores() -> None:
    text = dashboard(plan("globex-prod", False))["inputs"]["dashboardBody"]
    file_system = named(plan("globex-prod", False), "aws:efs/fileSystem:FileSystem", "data-report-files")
    assert file_system["outputs"]["id"] in text
    assert "globex-prod-invoices-222222222222" in text and "globex-prod-invoices-dr-222222222222" in text
    assert "Standby web-gateway: tasks (standby base 1)" in text


def test_warm_standby_alarms_use_the_dr_provider_and_the_dr_topic() -> None:
    doc = plan("globex-prod", False)
    dr_topic = topic(doc, dr=True)
    assert region_of(doc, dr_topic) == "eu-central-1"
    assert dr_topic["inputs"]["name"] == "globex-prod-alerts"
    assert dr_topic["inputs"]["kmsMasterKeyId"] == named(doc, "aws:kms/key:Key", "dr-key")["outputs"]["arn"]
    assert doc["outputs"]["drAlertsTopicArn"] == dr_topic["outputs"]["arn"]
    subscriptions = [r for r in doc["resources"] if r["type"] == "aws:sns/topicSubscription:TopicSubscription"
                     and r["name"].startswith("dr-alerts-")]
    assert sorted(s["inputs"]["endpoint"] for s in subscriptions) == ["globex-noc@globex.example",
                                                                     "sre-oncall@modyo.example"]
    found = alarms(doc)
    standby = {name: a for name, a in found.items() if region_of(doc, a) == "eu-central-1" and "-dr-svc-" in name}
    assert sorted(standby) == sorted(f"globex-prod-dr-svc-{s}-{what}" for s in BASES["globex-prod"]
                                     for what in ("below-standby-base", "unhealthy-hosts"))
    lb = named(doc, "aws:lb/loadBalancer:LoadBalancer", "dr-platform-alb", dr=True)["outputs"]["arnSuffix"]
    for service in BASES["globex-prod"]:
        floor = standby[f"globex-prod-dr-svc-{service}-below-standby-base"]["inputs"]
        assert (floor["metricName"], floor["namespace"], floor["statistic"]) == (
            "RunningTaskCount", "ECS/ContainerInsights", "Maximum")
        assert floor["dimensions"] == {"ClusterName": "globex-prod", "ServiceName": service}
        assert (floor["threshold"], floor["comparisonOperator"], floor["treatMissingData"]) == (
            1, "LessThanThreshold", "breaching")  # warmStandbyBase: 1
        (target,) = [r for r in of_type(doc, "aws:appautoscaling/target:Target", dr=True)
                     if r["inputs"]["resourceId"] == f"service/globex-prod/{service}"]
        assert floor["threshold"] == target["inputs"]["minCapacity"]  # the floor the standby really holds
        tg = named(doc, "aws:lb/targetGroup:TargetGroup", f"dr-platform-{service}-tg", dr=True)["outputs"]["arnSuffix"]
        unhealthy = standby[f"globex-prod-dr-svc-{service}-unhealthy-hosts"]["inputs"]
        assert unhealthy["dimensions"] == {"LoadBalancer": lb, "TargetGroup": tg}
        assert unhealthy["alarmActions"] == unhealthy["okActions"] == [dr_topic["outputs"]["arn"]]
    dr_policy = named(doc, "aws:sns/topicPolicy:TopicPolicy", "dr-alerts-topic-policy")["inputs"]["policy"]
    assert [s["Sid"] for s in json.loads(dr_policy)["Statement"]] == [
        "TenantAccountManagesTheTopic", "CloudWatchAlarmsOfThisAccountPublish"]  # no rules in the DR region
    assert statement(dr_policy, "CloudWatchAlarmsOfThisAccountPublish")["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:cloudwatch:eu-central-1:222222222222:alarm:*"}


def test_backup_restore_has_nothing_to_alarm_on_in_the_dr_region() -> None:
    doc = plan("acme-staging", False)
    assert {region_of(doc, a) for a in alarms(doc).values()} == {"us-east-1"}
    assert [t["name"] for t in doc["resources"] if t["type"] == "aws:sns/topic:Topic"] == ["alerts-topic"]
    assert "drAlertsTopicArn" not in doc["outputs"]


def test_a_pilot_light_alarms_on_its_vpn_links_only_in_the_dr_region() -> None:
    """Zero tasks, nothing to watch but the DR region's ends of the links: to the DR region's own topic."""
    doc = plan("acme-prod", False)
    in_dr = {name: a for name, a in alarms(doc).items() if region_of(doc, a) == "us-west-2"}
    assert sorted(a["name"] for a in in_dr.values()) == ["dr-vpn-dc-santiago-tunnels-critical",
                                                        "dr-vpn-dc-santiago-tunnels-warning"]
    (dr_topic,) = [t for t in doc["resources"] if t["type"] == "aws:sns/topic:Topic" and t["name"] == "dr-alerts-topic"]
    assert all(a["inputs"]["alarmActions"] == [dr_topic["outputs"]["arn"]] for a in in_dr.values())
    assert doc["outputs"]["drAlertsTopicArn"] == dr_topic["outputs"]["arn"]


def test_every_environment_has_the_topic_even_without_links_or_subscribers(tmp_path: Path) -> None:
    def bare(config: dict) -> None:
        del config["connect:vpn"], config["connect:alerts"]

    doc = plan_file(tmp_path, "acme-staging", bare)
    assert doc["violations"] == []
    assert topic(doc)["inputs"]["name"] == "acme-staging-alerts"
    assert not [r for r in doc["resources"] if r["type"] == "aws:sns/topicSubscription:TopicSubscription"]
    found = alarms(doc)
    assert "acme-staging-svc-payments-api-below-base" in found
    assert "acme-staging-nat-us-east-1a-port-allocation" in found
    assert not [name for name in found if "-vpn-" in name]
    check_service_alarms(doc, "acme-staging", DEFAULTS)
    assert doc["outputs"]["alertsTopicArn"] == topic(doc)["outputs"]["arn"]


def test_reordering_services_changes_no_observability_urn(tmp_path: Path) -> None:
    def reverse(config: dict) -> None:
        config["connect:services"].reverse()

    original = {r["urn"]: r["inputs"] for r in plan("acme-prod", False)["resources"] if "Observability" in r["urn"]}
    reordered = {r["urn"]: r["inputs"] for r in plan_file(tmp_path, "acme-prod", reverse)["resources"]
                 if "Observability" in r["urn"]}
    assert original == reordered


def test_scan_rules_follow_the_repositories_services_pull_from(tmp_path: Path) -> None:
    def swap(config: dict) -> None:
        config["connect:services"][1]["image"] = {"repository": "notifications-worker", "tag": "2.0.1"}

    doc = plan_file(tmp_path, "acme-staging", swap)
    patterns = {name: json.loads(r["inputs"]["eventPattern"]) for name, r in rules(doc).items()}
    assert patterns["acme-staging-ecr-findings"]["detail"]["repository-name"] == ["notifications-worker",
                                                                                  "payments-api"]
    assert patterns["acme-staging-inspector-findings"]["detail"]["repository-name"] == [
        "arn:aws:ecr:us-east-1:111111111111:repository/notifications-worker",
        "arn:aws:ecr:us-east-1:111111111111:repository/payments-api"]


def test_alarm_names_stay_unique_whatever_the_services_are_called(tmp_path: Path) -> None:
    def rename(config: dict) -> None:
        config["connect:services"][0]["name"] = "alb"
        config["connect:services"][1]["name"] = "nat"

    doc = plan_file(tmp_path, "acme-staging", rename)
    names = [(region_of(doc, r), r["inputs"]["name"]) for r in doc["resources"] if r["type"] == ALARM]
    assert len(names) == len(set(names)) == 7 * 2 + 1 + 2 + 2  # services, load balancer, NAT, VPN
    assert ("us-east-1", "acme-staging-alb-5xx-rate") in names
    assert ("us-east-1", "acme-staging-svc-alb-5xx-rate") in names
