"""Logs, alarms, events, topics, parameters and the audit trail (`aws:cloudwatch/*`, `aws:sns/*`, `aws:ssm/*`...).

Each is the stack's when tagged for it; to keep the reads few, only the names the program gives are asked for their
tags: log groups whose name holds the stack's prefix, alarms, rules, topics and trails named with it. Log groups AWS
makes itself (Container Insights' `/aws/ecs/containerinsights/...`) carry no tag of the stack and are not judged.
"""

from __future__ import annotations

from typing import Any

from connectctl.audit.readers import Reader, Scope, camel, compact, tag_map
from connectctl.audit.view import LiveResource

LOG_GROUP, ALARM = "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm"
RULE, TARGET = "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget"
TOPIC, TOPIC_POLICY = "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION, TRAIL = "aws:sns/topicSubscription:TopicSubscription", "aws:cloudtrail/trail:Trail"
PARAMETER = "aws:ssm/parameter:Parameter"
# Log groups AWS makes itself, named after the stack's resources (Container Insights' performance logs): never the
# stack's, and outside what a role scoped to the client's log groups may read the tags of.
AWS_MADE_LOG_GROUPS = ("/aws/ecs/containerinsights/",)
# Advanced event selector operators, CloudTrail's names -> Pulumi's (`aws.cloudtrail.Trail` `fieldSelectors`).
OPERATORS = {"Field": "field", "Equals": "equals", "NotEquals": "notEquals", "StartsWith": "startsWiths",
             "NotStartsWith": "notStartsWiths", "EndsWith": "endsWiths", "NotEndsWith": "notEndsWiths"}


def read_log_groups(scope: Scope, region: str) -> None:
    """Log groups named with the stack's prefix and tagged for it."""
    logs = scope.client("logs", region)
    for group in scope.pages(logs, "describe_log_groups", "logGroups"):
        name = group["logGroupName"]
        if scope.prefix not in name or name.startswith(AWS_MADE_LOG_GROUPS):
            continue
        arn = str(group.get("arn") or scope.arn("logs", region, f"log-group:{name}:*")).removesuffix(":*")
        tags = tag_map(logs.list_tags_for_resource(resourceArn=arn).get("tags"))
        if not scope.ours(tags):
            continue
        scope.add(LiveResource(LOG_GROUP, name, region, compact({
            "name": name, "kmsKeyId": group.get("kmsKeyId"), "retentionInDays": group.get("retentionInDays"),
            "logGroupClass": group.get("logGroupClass"), "tags": tags}), name, arn, names=(name, f"{arn}:*")))


def _metric(metric: dict[str, Any]) -> dict[str, Any]:
    inner = metric.get("Metric") or {}
    return compact({"metricName": inner.get("MetricName"), "namespace": inner.get("Namespace"),
                    "dimensions": {d["Name"]: d["Value"] for d in inner.get("Dimensions", [])} or None,
                    "period": metric.get("Period"), "stat": metric.get("Stat"), "unit": metric.get("Unit")})


def read_alarms(scope: Scope, region: str) -> None:
    """Metric alarms named with the stack's prefix and tagged for it."""
    cloudwatch = scope.client("cloudwatch", region)
    for alarm in scope.pages(cloudwatch, "describe_alarms", "MetricAlarms", AlarmNamePrefix=f"{scope.prefix}-",
                             AlarmTypes=["MetricAlarm"]):
        arn = alarm["AlarmArn"]
        tags = tag_map(cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags"))
        if not scope.ours(tags):
            continue
        queries = [compact({"id": q.get("Id"), "expression": q.get("Expression"), "label": q.get("Label"),
                            "returnData": q.get("ReturnData"), "metric": _metric(q["MetricStat"])
                            if q.get("MetricStat") else None}) for q in alarm.get("Metrics", [])]
        scope.add(LiveResource(ALARM, alarm["AlarmName"], region, compact({
            "name": alarm["AlarmName"], "namespace": alarm.get("Namespace"), "metricName": alarm.get("MetricName"),
            "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])} or None,
            "statistic": alarm.get("Statistic"), "extendedStatistic": alarm.get("ExtendedStatistic"),
            "period": alarm.get("Period"), "evaluationPeriods": alarm.get("EvaluationPeriods"),
            "datapointsToAlarm": alarm.get("DatapointsToAlarm"), "threshold": alarm.get("Threshold"),
            "comparisonOperator": alarm.get("ComparisonOperator"), "treatMissingData": alarm.get("TreatMissingData"),
            "actionsEnabled": alarm.get("ActionsEnabled"), "alarmActions": alarm.get("AlarmActions") or None,
            "okActions": alarm.get("OKActions") or None,
            "insufficientDataActions": alarm.get("InsufficientDataActions") or None,
            "alarmDescription": alarm.get("AlarmDescription"), "metricQueries": queries or None, "tags": tags}),
            alarm["AlarmName"], arn))


def read_events(scope: Scope, region: str) -> None:
    """EventBridge rules of the default bus named with the stack's prefix and tagged for it, with their targets."""
    events = scope.client("events", region)
    for rule in scope.pages(events, "list_rules", "Rules", NamePrefix=f"{scope.prefix}-"):
        name, arn = rule["Name"], rule["Arn"]
        tags = tag_map(events.list_tags_for_resource(ResourceARN=arn).get("Tags"))
        if not scope.ours(tags):
            continue
        scope.add(LiveResource(RULE, name, region, compact({
            "name": name, "description": rule.get("Description"), "eventPattern": rule.get("EventPattern"),
            "scheduleExpression": rule.get("ScheduleExpression"), "state": rule.get("State"),
            "roleArn": rule.get("RoleArn"), "eventBusName": rule.get("EventBusName"), "tags": tags}), name, arn,
            names=(name,)))
        for target in scope.pages(events, "list_targets_by_rule", "Targets", Rule=name):
            ecs = target.get("EcsParameters")
            scope.add(LiveResource(TARGET, f"{name}-{target['Id']}", region, compact({
                "rule": name, "targetId": target["Id"], "arn": target.get("Arn"), "roleArn": target.get("RoleArn"),
                "input": target.get("Input"), "inputPath": target.get("InputPath"),
                "inputTransformer": camel(target.get("InputTransformer")), "ecsTarget": camel(ecs) if ecs else None}),
                f"{name}-{target['Id']}"))


def read_topics(scope: Scope, region: str) -> None:
    """SNS topics named with the stack's prefix and tagged for it, their access policy and subscriptions."""
    sns = scope.client("sns", region)
    for listed in scope.pages(sns, "list_topics", "Topics"):
        arn = listed["TopicArn"]
        name = arn.rsplit(":", 1)[-1]
        if not scope.prefixed(name):
            continue
        tags = tag_map(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))
        if not scope.ours(tags):
            continue
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        scope.add(LiveResource(TOPIC, name, region, compact({
            "name": name, "kmsMasterKeyId": attributes.get("KmsMasterKeyId") or None,
            "displayName": attributes.get("DisplayName") or None, "tags": tags}), arn, arn, names=(name,)))
        if attributes.get("Policy"):
            scope.add(LiveResource(TOPIC_POLICY, name, region, {"arn": arn, "policy": attributes["Policy"]}, arn))
        for subscription in scope.pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn):
            endpoint = subscription.get("Endpoint", "")
            scope.add(LiveResource(SUBSCRIPTION, f"{name}-{subscription.get('Protocol')}-{endpoint}", region, {
                "topic": arn, "protocol": subscription.get("Protocol"), "endpoint": endpoint},
                str(subscription.get("SubscriptionArn"))))


def _selectors(answer: dict[str, Any]) -> dict[str, Any]:
    """A trail's event selectors as the trail's inputs: basic (`eventSelectors`) or advanced."""
    advanced = answer.get("AdvancedEventSelectors")
    if advanced:
        return {"advancedEventSelectors": [compact({"name": s.get("Name"), "fieldSelectors": [
            {OPERATORS.get(key, key): value for key, value in f.items()} for f in s.get("FieldSelectors", [])]})
            for s in advanced]}
    basic = answer.get("EventSelectors")
    if basic:
        return {"eventSelectors": [compact({
            "readWriteType": s.get("ReadWriteType"), "includeManagementEvents": s.get("IncludeManagementEvents"),
            "dataResources": [{"type": d.get("Type"), "values": d.get("Values", [])}
                              for d in s.get("DataResources", [])] or None,
            "excludeManagementEventSources": s.get("ExcludeManagementEventSources") or None}) for s in basic]}
    return {}


def read_trails(scope: Scope, region: str) -> None:
    """Trails whose home is this region, named with the stack's prefix or tagged for it: their settings, whether
    they log (GetTrailStatus) and their event selectors."""
    cloudtrail = scope.client("cloudtrail", region)
    for trail in cloudtrail.describe_trails(includeShadowTrails=False).get("trailList", []):  # not paginated
        if trail.get("HomeRegion", region) != region:
            continue
        arn, name = trail["TrailARN"], trail["Name"]
        listed = cloudtrail.list_tags(ResourceIdList=[arn]).get("ResourceTagList", [])
        tags = tag_map(listed[0].get("TagsList") if listed else [])
        if not (scope.ours(tags) or scope.prefixed(name)):
            continue
        # Whether it logs is no setting of the trail: StopLogging leaves DescribeTrails as it was, GetTrailStatus says
        # (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html).
        status = cloudtrail.get_trail_status(Name=arn)
        selectors = _selectors(cloudtrail.get_event_selectors(TrailName=arn))
        scope.add(LiveResource(TRAIL, name, region, compact({
            "name": name, "s3BucketName": trail.get("S3BucketName"), "s3KeyPrefix": trail.get("S3KeyPrefix"),
            "kmsKeyId": trail.get("KmsKeyId"), "enableLogFileValidation": trail.get("LogFileValidationEnabled"),
            "isMultiRegionTrail": trail.get("IsMultiRegionTrail"),
            "includeGlobalServiceEvents": trail.get("IncludeGlobalServiceEvents"),
            "isOrganizationTrail": trail.get("IsOrganizationTrail"),
            "cloudWatchLogsGroupArn": trail.get("CloudWatchLogsLogGroupArn"),
            "cloudWatchLogsRoleArn": trail.get("CloudWatchLogsRoleArn"), "snsTopicName": trail.get("SnsTopicName"),
            "enableLogging": bool(status.get("IsLogging")), **selectors, "tags": tags}), arn, arn, names=(name,)))


def read_parameters(scope: Scope, region: str) -> None:
    """The stack's SSM parameters (`/connect/<client>-<environment>/...`, as the program names them): their name,
    type and tags from DescribeParameters and ListTagsForResource; never their value (GetParameter reads it)."""
    ssm = scope.client("ssm", region)
    wanted = [{"Key": "Name", "Option": "BeginsWith", "Values": [f"/connect/{scope.prefix}/"]}]
    for parameter in scope.pages(ssm, "describe_parameters", "Parameters", ParameterFilters=wanted):
        name = parameter["Name"]
        tags = tag_map(ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name).get("TagList"))
        scope.add(LiveResource(PARAMETER, name, region, compact({
            "name": name, "type": parameter.get("Type"), "description": parameter.get("Description"),
            "tier": parameter.get("Tier"), "keyId": parameter.get("KeyId"), "tags": tags}), name,
            parameter.get("ARN") or scope.arn("ssm", region, f"parameter{name}")))


READERS = (
    Reader("log groups", "logs", ("DescribeLogGroups", "ListTagsForResource"), (LOG_GROUP,), read_log_groups),
    Reader("alarms", "cloudwatch", ("DescribeAlarms", "ListTagsForResource"), (ALARM,), read_alarms),
    Reader("events", "events", ("ListRules", "ListTagsForResource", "ListTargetsByRule"), (RULE, TARGET), read_events),
    Reader("topics", "sns", ("ListTopics", "ListTagsForResource", "GetTopicAttributes", "ListSubscriptionsByTopic"),
           (TOPIC, TOPIC_POLICY, SUBSCRIPTION), read_topics),
    Reader("parameters", "ssm", ("DescribeParameters", "ListTagsForResource"), (PARAMETER,), read_parameters),
    Reader("trails", "cloudtrail", ("DescribeTrails", "ListTags", "GetTrailStatus", "GetEventSelectors"), (TRAIL,),
           read_trails),
)
