"""ContainerPlatform and AccountRegistry as planned from the real stack files."""

from __future__ import annotations

import json

import pytest

from components.platform import TLS_POLICY, target_group_prefix
from tests.components.plans import plan, primary


def by_urn(doc: dict) -> dict[str, dict]:
    return {r["urn"]: r for r in doc["resources"]}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_every_service_runs_private_behind_the_internal_load_balancer(preview: bool) -> None:
    doc = plan("acme-prod", preview)
    resources = by_urn(doc)
    (alb,) = primary(doc, "aws:lb/loadBalancer:LoadBalancer")
    assert alb["inputs"]["internal"] is True
    app_subnets = {r["urn"] for r in primary(doc, "aws:ec2/subnet:Subnet")
                   if r["inputs"]["tags"]["connect:tier"] == "app"}
    assert set(alb["propertyDependencies"]["subnets"]) == app_subnets
    services = primary(doc, "aws:ecs/service:Service")
    assert sorted(s["inputs"]["name"] for s in services) == ["accounts-api", "notifications-worker", "payments-api"]
    (https,) = [r for r in primary(doc, "aws:lb/listener:Listener") if r["inputs"]["protocol"] == "HTTPS"]
    for service in services:
        network = service["inputs"]["networkConfiguration"]
        assert network["assignPublicIp"] is False
        subnets = {u for u in service["propertyDependencies"]["networkConfiguration"]
                   if resources[u]["type"] == "aws:ec2/subnet:Subnet"}
        assert subnets == app_subnets
        (target_group_urn,) = [u for u in service["propertyDependencies"]["loadBalancers"]]
        assert resources[target_group_urn]["inputs"]["targetType"] == "ip"
        rules = [r for r in primary(doc, "aws:lb/listenerRule:ListenerRule")
                 if target_group_urn in r["propertyDependencies"]["actions"]]
        assert len(rules) == 1 and rules[0]["propertyDependencies"]["listenerArn"] == [https["urn"]]
        assert "desiredCount" in service["inputs"] and service["inputs"]["deploymentCircuitBreaker"] == {
            "enable": True, "rollback": True}


def test_scalable_target_floor_is_the_agreed_base() -> None:
    doc = plan("acme-prod", False)
    resources = by_urn(doc)
    expected = {"payments-api": (2, 10), "accounts-api": (2, 6), "notifications-worker": (2, 4)}
    targets = primary(doc, "aws:appautoscaling/target:Target")
    assert len(targets) == 3
    for target in targets:
        (service_urn,) = [u for u in target["propertyDependencies"]["resourceId"]
                          if resources[u]["type"] == "aws:ecs/service:Service"]
        service = resources[service_urn]
        name = service["inputs"]["name"]
        assert (target["inputs"]["minCapacity"], target["inputs"]["maxCapacity"]) == expected[name]
        assert service["inputs"]["desiredCount"] == expected[name][0]  # created at base, then ignored
        assert target["inputs"]["resourceId"] == f"service/acme-prod/{name}"
    policies = primary(doc, "aws:appautoscaling/policy:Policy")
    metrics = sorted(p["inputs"]["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]
                     ["predefinedMetricType"] for p in policies)
    assert metrics == ["ALBRequestCountPerTarget"] * 3 + ["ECSServiceAverageCPUUtilization"] * 3
    requests = sorted(p["inputs"]["targetTrackingScalingPolicyConfiguration"]["targetValue"] for p in policies
                      if "requests" in p["name"])
    assert requests == [500, 1000, 1000]  # payments-api asks for 500; the others take the default


def test_listeners_tls_and_redirect() -> None:
    doc = plan("acme-prod")
    listeners = {r["inputs"]["protocol"]: r for r in primary(doc, "aws:lb/listener:Listener")}
    assert listeners["HTTPS"]["inputs"]["sslPolicy"] == TLS_POLICY
    assert listeners["HTTPS"]["inputs"]["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"
    assert listeners["HTTP"]["inputs"]["defaultActions"][0]["redirect"]["protocol"] == "HTTPS"
    (alb,) = primary(doc, "aws:lb/loadBalancer:LoadBalancer")
    assert alb["inputs"]["enableDeletionProtection"] is True
    assert alb["inputs"]["accessLogs"]["enabled"] is True
    (staging_alb,) = primary(plan("acme-staging"), "aws:lb/loadBalancer:LoadBalancer")
    assert staging_alb["inputs"]["enableDeletionProtection"] is False


def test_task_definitions_pin_the_image_of_the_account_registry() -> None:
    doc = plan("acme-prod")
    definitions = {r["inputs"]["family"]: json.loads(r["inputs"]["containerDefinitions"])[0]
                   for r in primary(doc, "aws:ecs/taskDefinition:TaskDefinition")}
    payments = definitions["acme-prod-payments-api"]
    assert payments["image"] == "111111111111.dkr.ecr.us-east-1.amazonaws.com/payments-api:1.4.2"
    assert definitions["acme-prod-accounts-api"]["image"].endswith(
        "/accounts-api@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b")
    assert payments["readonlyRootFilesystem"] is True and payments["privileged"] is False
    secret = "arn:aws:secretsmanager:us-east-1:111111111111:secret:acme/prod/payments-db-Xy7Q2m"
    assert payments["secrets"] == [
        {"name": "DB_PASSWORD", "valueFrom": secret},
        {"name": "LEDGER_DB_HOST",  # the database it uses, by reference
         "valueFrom": "arn:aws:ssm:us-east-1:111111111111:parameter/connect/acme-prod/data/ledger/endpoint"},
    ]
    assert payments["logConfiguration"]["options"]["awslogs-group"] == "/connect/acme-prod/services/payments-api"


def test_execution_role_is_limited_to_its_image_logs_and_secrets() -> None:
    doc = plan("acme-prod")
    policies = {r["name"]: json.loads(r["inputs"]["policy"]) for r in primary(doc, "aws:iam/rolePolicy:RolePolicy")}
    statements = {s["Sid"]: s for s in policies["platform-payments-api-execution-policy"]["Statement"]}
    assert statements["PullImage"]["Resource"] == "arn:aws:ecr:us-east-1:111111111111:repository/payments-api"
    secret = "arn:aws:secretsmanager:us-east-1:111111111111:secret:acme/prod/payments-db-Xy7Q2m"
    assert statements["ReadSecrets"]["Resource"] == [secret]
    assert statements["WriteLogs"]["Resource"].endswith("log-group:/connect/acme-prod/services/payments-api:*")
    worker = {s["Sid"] for s in policies["platform-notifications-worker-execution-policy"]["Statement"]}
    assert "ReadParameters" in worker and "ReadSecrets" not in worker


def test_target_group_names_fit_whatever_the_service_name() -> None:
    prefix = target_group_prefix("a-service-name-of-twenty4")
    assert len(prefix) == 6 and prefix.endswith("-") and prefix[0].isalpha()
    assert target_group_prefix("payments-api") == target_group_prefix("payments-api")
    doc = plan("globex-prod")
    prefixes = [r["inputs"]["namePrefix"] for r in primary(doc, "aws:lb/targetGroup:TargetGroup")]
    assert len(prefixes) == 6 and all(len(p) == 6 for p in prefixes)


def test_services_admit_traffic_only_from_the_load_balancer() -> None:
    doc = plan("acme-prod")
    resources = by_urn(doc)
    (alb_sg,) = [r for r in primary(doc, "aws:ec2/securityGroup:SecurityGroup") if r["name"] == "platform-alb-sg"]
    for rule in primary(doc, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        if rule["name"].endswith("-from-alb"):
            assert rule["propertyDependencies"]["referencedSecurityGroupId"] == [alb_sg["urn"]]
            (target,) = rule["propertyDependencies"]["securityGroupId"]
            assert resources[target]["name"].endswith("-sg")
        # address ranges only for the client's data centre (VPN), never the world
        assert rule["inputs"].get("cidrIpv4") in (None, "172.16.0.0/16")


@pytest.mark.parametrize("stack", ["acme-account", "globex-account"])
def test_account_registry(stack: str) -> None:
    doc = plan(stack)
    repositories = primary(doc, "aws:ecr/repository:Repository")
    assert repositories
    for repo in repositories:
        assert repo["inputs"]["imageScanningConfiguration"]["scanOnPush"] is True
        assert repo["inputs"]["imageTagMutability"] == "IMMUTABLE"
        assert repo["inputs"]["encryptionConfigurations"][0]["encryptionType"] == "KMS"
        assert repo["protect"] and repo["retainOnDelete"]
    (scanning,) = primary(doc, "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")
    (replication,) = primary(doc, "aws:ecr/replicationConfiguration:ReplicationConfiguration")
    destination = replication["inputs"]["replicationConfiguration"]["rules"][0]["destinations"][0]
    assert destination["region"] == doc["outputs"]["drRegion"] != doc["outputs"]["region"]
    assert scanning["inputs"]["scanType"] == ("BASIC" if stack == "acme-account" else "ENHANCED")
    assert not primary(doc, "aws:ec2/vpc:Vpc")  # the account stack owns no environment


def test_account_outputs_feed_the_environment() -> None:
    doc = plan("acme-account", False)
    assert doc["outputs"]["repositoryUrls"] == {
        name: f"111111111111.dkr.ecr.us-east-1.amazonaws.com/{name}"
        for name in ("accounts-api", "notifications-worker", "payments-api")}
    reference = next(r for r in plan("acme-prod")["resources"] if r["type"] == "pulumi:pulumi:StackReference")
    assert reference["inputs"]["name"] == "organization/connect/acme-account"
