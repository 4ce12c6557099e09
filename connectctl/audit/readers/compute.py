"""Load balancers, ECS and its scaling: `aws:lb/*`, `aws:ecs/*` and `aws:appautoscaling/*` resources.

Load balancers and target groups are the stack's when they sit in its VPCs or carry its tags; clusters when they
carry its tags, and then every service of them (declared or not), the task definitions those services run, and
the scaling targets, policies and scheduled actions of those services.

One input no AWS API holds: a service's `ignoreChanges` (a Pulumi resource option). The live view takes it as the
program declares it (`desiredCount` ignored), so `ecs-deployment-safety` judges the circuit breaker live.
"""

from __future__ import annotations

import json
from typing import Any

from connectctl.audit.readers import Reader, Scope, camel, compact, tag_map
from connectctl.audit.readers.network import VPC
from connectctl.audit.view import LiveResource

LOAD_BALANCER, LISTENER = "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener"
TARGET_GROUP, LISTENER_RULE = "aws:lb/targetGroup:TargetGroup", "aws:lb/listenerRule:ListenerRule"
CLUSTER, CAPACITY = "aws:ecs/cluster:Cluster", "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
SERVICE, TASK = "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition"
TARGET, POLICY = "aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy"
SCHEDULED = "aws:appautoscaling/scheduledAction:ScheduledAction"
# Load balancer attributes and the inputs they are
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html).
ATTRIBUTES = {"routing.http.drop_invalid_header_fields.enabled": "dropInvalidHeaderFields",
              "routing.http.desync_mitigation_mode": "desyncMitigationMode",
              "deletion_protection.enabled": "enableDeletionProtection", "idle_timeout.timeout_seconds": "idleTimeout"}


def _elbv2_tags(scope: Scope, region: str, arns: list[str]) -> dict[str, dict[str, str]]:
    """Tags of load balancers, listeners, rules or target groups, 20 at a time (DescribeTags' limit:
    https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html)."""
    elbv2 = scope.client("elbv2", region)
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), 20):
        for description in elbv2.describe_tags(ResourceArns=arns[start:start + 20])["TagDescriptions"]:
            found[description["ResourceArn"]] = tag_map(description.get("Tags"))
    return found


def _value(text: str) -> Any:
    return {"true": True, "false": False}.get(text, int(text) if text.isdigit() else text)


def _actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Listener (and rule) actions with Pulumi's names: `redirect`, `forward`, `fixedResponse`."""
    renamed = {"RedirectConfig": "Redirect", "ForwardConfig": "Forward", "FixedResponseConfig": "FixedResponse",
               "AuthenticateOidcConfig": "AuthenticateOidc", "AuthenticateCognitoConfig": "AuthenticateCognito"}
    found = []
    for action in actions:
        action = {renamed.get(key, key): value for key, value in action.items()}
        forward = action.get("Forward")
        if isinstance(forward, dict) and "TargetGroups" in forward:
            forward["TargetGroups"] = [{"Arn": g.get("TargetGroupArn"), "Weight": g.get("Weight")}
                                       for g in forward["TargetGroups"]]
        found.append(camel(action))
    return found


def read_load_balancers(scope: Scope, region: str) -> None:
    """Load balancers in the stack's VPCs or tagged for it, with their attributes, listeners and listener rules; the
    target groups of its VPCs."""
    elbv2 = scope.client("elbv2", region)
    vpcs = set(scope.ids(VPC, region))
    balancers = list(scope.pages(elbv2, "describe_load_balancers", "LoadBalancers"))
    tags = _elbv2_tags(scope, region, [b["LoadBalancerArn"] for b in balancers])
    for balancer in balancers:
        arn = balancer["LoadBalancerArn"]
        if balancer.get("VpcId") not in vpcs and not scope.ours(tags.get(arn, {})):
            continue
        attributes = {a["Key"]: a["Value"] for a in
                      elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
        inputs: dict[str, Any] = compact({
            "name": balancer.get("LoadBalancerName"), "internal": balancer.get("Scheme") == "internal",
            "loadBalancerType": balancer.get("Type"), "ipAddressType": balancer.get("IpAddressType"),
            "subnets": [z["SubnetId"] for z in balancer.get("AvailabilityZones", []) if z.get("SubnetId")],
            "securityGroups": balancer.get("SecurityGroups") or None, "tags": tags.get(arn, {})})
        if "access_logs.s3.enabled" in attributes:
            inputs["accessLogs"] = compact({"enabled": _value(attributes["access_logs.s3.enabled"]),
                                            "bucket": attributes.get("access_logs.s3.bucket") or None,
                                            "prefix": attributes.get("access_logs.s3.prefix") or None})
        inputs |= {name: _value(attributes[key]) for key, name in ATTRIBUTES.items() if key in attributes}
        scope.add(LiveResource(LOAD_BALANCER, balancer["LoadBalancerName"], region, inputs, arn, arn,
                               compact({"dnsName": balancer.get("DNSName"), "vpcId": balancer.get("VpcId")})))
        listeners = list(scope.pages(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=arn))
        rules: list[dict[str, Any]] = []
        for listener in listeners:
            rules += [r for r in scope.pages(elbv2, "describe_rules", "Rules", ListenerArn=listener["ListenerArn"])
                      if not r.get("IsDefault")]
        more = _elbv2_tags(scope, region, [x["ListenerArn"] for x in listeners] + [r["RuleArn"] for r in rules])
        for listener in listeners:
            listener_arn = listener["ListenerArn"]
            certificate = next((c["CertificateArn"] for c in listener.get("Certificates", [])), None)
            scope.add(LiveResource(LISTENER, listener_arn.split("/", 1)[1], region, compact({
                "loadBalancerArn": arn, "port": listener.get("Port"), "protocol": listener.get("Protocol"),
                "sslPolicy": listener.get("SslPolicy"), "certificateArn": certificate,
                "alpnPolicy": (listener.get("AlpnPolicy") or [None])[0],
                "defaultActions": _actions(listener.get("DefaultActions", [])),
                "tags": more.get(listener_arn, {})}), listener_arn, listener_arn))
        for rule in rules:
            rule_arn = rule["RuleArn"]
            listener_arn = next(x["ListenerArn"] for x in listeners if rule_arn.startswith(
                x["ListenerArn"].replace(":listener/", ":listener-rule/")))
            scope.add(LiveResource(LISTENER_RULE, rule_arn.split("/", 1)[1], region, compact({
                "listenerArn": listener_arn, "priority": _value(str(rule.get("Priority"))),
                "actions": _actions(rule.get("Actions", [])), "conditions": camel(rule.get("Conditions", [])),
                "tags": more.get(rule_arn, {})}), rule_arn, rule_arn))
    groups = [g for g in scope.pages(elbv2, "describe_target_groups", "TargetGroups") if g.get("VpcId") in vpcs]
    group_tags = _elbv2_tags(scope, region, [g["TargetGroupArn"] for g in groups])
    for group in groups:
        arn = group["TargetGroupArn"]
        scope.add(LiveResource(TARGET_GROUP, group["TargetGroupName"], region, compact({
            "name": group.get("TargetGroupName"), "port": group.get("Port"), "protocol": group.get("Protocol"),
            "targetType": group.get("TargetType"), "vpcId": group.get("VpcId"), "tags": group_tags.get(arn, {})}),
            arn, arn))


def _strategy(items: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return [compact({"capacityProvider": i.get("capacityProvider"), "weight": i.get("weight"), "base": i.get("base")})
            for i in items] if items else None


def read_ecs(scope: Scope, region: str) -> None:
    """Clusters tagged for the stack with their capacity providers, every active service of them, and the task
    definitions the services run."""
    ecs = scope.client("ecs", region)
    arns = list(scope.pages(ecs, "list_clusters", "clusterArns"))
    clusters: list[dict[str, Any]] = []
    # DescribeClusters takes at most 100 clusters, DescribeServices 10 services:
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeClusters.html, API_DescribeServices.html
    for start in range(0, len(arns), 100):
        clusters += ecs.describe_clusters(clusters=arns[start:start + 100], include=["SETTINGS", "TAGS"])["clusters"]
    definitions: dict[str, None] = {}
    for cluster in clusters:
        tags = tag_map(cluster.get("tags"))
        if cluster.get("status") != "ACTIVE" or not scope.ours(tags):
            continue
        name, arn = cluster["clusterName"], cluster["clusterArn"]
        scope.add(LiveResource(CLUSTER, name, region, {
            "name": name, "settings": [{"name": s["name"], "value": s["value"]} for s in cluster.get("settings", [])],
            "tags": tags}, arn, arn, names=(name,)))
        if cluster.get("capacityProviders") or cluster.get("defaultCapacityProviderStrategy"):
            scope.add(LiveResource(CAPACITY, name, region, compact({
                "clusterName": name, "capacityProviders": cluster.get("capacityProviders") or [],
                "defaultCapacityProviderStrategies": _strategy(cluster.get("defaultCapacityProviderStrategy"))}),
                name))
        services = list(scope.pages(ecs, "list_services", "serviceArns", cluster=arn))
        for start in range(0, len(services), 10):
            for service in ecs.describe_services(cluster=arn, services=services[start:start + 10],
                                                 include=["TAGS"])["services"]:
                if service.get("status") != "ACTIVE":
                    continue
                _service(scope, region, arn, service)
                definitions[service["taskDefinition"]] = None
    for definition_arn in definitions:
        answer = ecs.describe_task_definition(taskDefinition=definition_arn, include=["TAGS"])
        definition = answer["taskDefinition"]
        scope.add(LiveResource(TASK, f"{definition['family']}:{definition['revision']}", region, compact({
            "family": definition.get("family"), "containerDefinitions": json.dumps(definition.get(
                "containerDefinitions", [])), "cpu": definition.get("cpu"), "memory": definition.get("memory"),
            "networkMode": definition.get("networkMode"),
            "requiresCompatibilities": definition.get("requiresCompatibilities"),
            "executionRoleArn": definition.get("executionRoleArn"), "taskRoleArn": definition.get("taskRoleArn"),
            "pidMode": definition.get("pidMode"), "ipcMode": definition.get("ipcMode"),
            "runtimePlatform": camel(definition.get("runtimePlatform")), "tags": tag_map(answer.get("tags"))}),
            definition_arn, definition_arn))


def _service(scope: Scope, region: str, cluster_arn: str, service: dict[str, Any]) -> None:
    network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    deployment = service.get("deploymentConfiguration") or {}
    breaker = deployment.get("deploymentCircuitBreaker")
    scope.add(LiveResource(SERVICE, service["serviceName"], region, compact({
        "name": service["serviceName"], "cluster": cluster_arn, "taskDefinition": service.get("taskDefinition"),
        "desiredCount": service.get("desiredCount"), "launchType": service.get("launchType"),
        "platformVersion": service.get("platformVersion"),
        "capacityProviderStrategies": _strategy(service.get("capacityProviderStrategy")),
        "schedulingStrategy": service.get("schedulingStrategy"),
        "networkConfiguration": compact({
            "subnets": network.get("subnets"), "securityGroups": network.get("securityGroups"),
            "assignPublicIp": network.get("assignPublicIp") == "ENABLED"}) if network else None,
        "loadBalancers": [compact({"targetGroupArn": b.get("targetGroupArn"), "containerName": b.get("containerName"),
                                   "containerPort": b.get("containerPort")})
                          for b in service.get("loadBalancers", [])] or None,
        "deploymentCircuitBreaker": {"enable": bool(breaker.get("enable")), "rollback": bool(breaker.get("rollback"))}
        if breaker else None,
        "deploymentMaximumPercent": deployment.get("maximumPercent"),
        "deploymentMinimumHealthyPercent": deployment.get("minimumHealthyPercent"),
        "deploymentController": compact({"type": (service.get("deploymentController") or {}).get("type")}) or None,
        "healthCheckGracePeriodSeconds": service.get("healthCheckGracePeriodSeconds"),
        "enableEcsManagedTags": service.get("enableECSManagedTags"), "propagateTags": service.get("propagateTags"),
        "enableExecuteCommand": service.get("enableExecuteCommand"), "tags": tag_map(service.get("tags"))}),
        service["serviceArn"], service["serviceArn"], ignore_changes=("desiredCount",)))


def read_scaling(scope: Scope, region: str) -> None:
    """Scaling targets, policies and scheduled actions of the stack's ECS services."""
    services = {f"service/{s.inputs['cluster'].rsplit('/', 1)[-1]}/{s.inputs['name']}"
                for s in scope.found(SERVICE, region)}
    if not services:
        return
    scaling = scope.client("application-autoscaling", region)
    for target in scope.pages(scaling, "describe_scalable_targets", "ScalableTargets", ServiceNamespace="ecs"):
        if target["ResourceId"] not in services:
            continue
        arn = target.get("ScalableTargetARN")
        tags = tag_map(scaling.list_tags_for_resource(ResourceARN=arn).get("Tags")) if arn else {}
        name = f"{target['ResourceId']}|{target['ScalableDimension']}"
        scope.add(LiveResource(TARGET, name, region, {
            "resourceId": target["ResourceId"], "scalableDimension": target["ScalableDimension"],
            "serviceNamespace": target["ServiceNamespace"], "minCapacity": target.get("MinCapacity"),
            "maxCapacity": target.get("MaxCapacity"), "tags": tags}, name, arn))
    for policy in scope.pages(scaling, "describe_scaling_policies", "ScalingPolicies", ServiceNamespace="ecs"):
        if policy["ResourceId"] not in services:
            continue
        scope.add(LiveResource(POLICY, policy["PolicyName"], region, compact({
            "name": policy["PolicyName"], "policyType": policy.get("PolicyType"), "resourceId": policy["ResourceId"],
            "scalableDimension": policy.get("ScalableDimension"), "serviceNamespace": policy.get("ServiceNamespace"),
            "targetTrackingScalingPolicyConfiguration": camel(policy.get("TargetTrackingScalingPolicyConfiguration")),
            "stepScalingPolicyConfiguration": camel(policy.get("StepScalingPolicyConfiguration"))}),
            policy["PolicyName"], policy.get("PolicyARN")))
    for action in scope.pages(scaling, "describe_scheduled_actions", "ScheduledActions", ServiceNamespace="ecs"):
        if action["ResourceId"] not in services:
            continue
        scope.add(LiveResource(SCHEDULED, action["ScheduledActionName"], region, compact({
            "name": action["ScheduledActionName"], "resourceId": action["ResourceId"],
            "scalableDimension": action.get("ScalableDimension"), "serviceNamespace": action.get("ServiceNamespace"),
            "schedule": action.get("Schedule"), "timezone": action.get("Timezone"),
            "scalableTargetAction": camel(action.get("ScalableTargetAction"))}),
            action["ScheduledActionName"], action.get("ScheduledActionARN")))


READERS = (
    Reader("load balancers", "elbv2", ("DescribeLoadBalancers", "DescribeTags", "DescribeLoadBalancerAttributes",
                                       "DescribeListeners", "DescribeRules", "DescribeTargetGroups"),
           (LOAD_BALANCER, LISTENER, LISTENER_RULE, TARGET_GROUP), read_load_balancers),
    Reader("ecs", "ecs", ("ListClusters", "DescribeClusters", "ListServices", "DescribeServices",
                          "DescribeTaskDefinition"), (CLUSTER, CAPACITY, SERVICE, TASK), read_ecs),
    Reader("scaling", "application-autoscaling", ("DescribeScalableTargets", "ListTagsForResource",
                                                  "DescribeScalingPolicies", "DescribeScheduledActions"),
           (TARGET, POLICY, SCHEDULED), read_scaling),
)
