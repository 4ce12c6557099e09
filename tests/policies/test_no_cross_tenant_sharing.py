"""no-cross-tenant-sharing: RAM, cross-account peering and foreign/wildcard principals in policies; grants, snapshot
and image shares, backup copies, transit gateway attachments and accepters of other accounts."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.harness import (
    ACCOUNT,
    OTHER_ACCOUNT,
    TAGS,
    assert_one_mandatory,
    evaluate,
    findings,
    notes,
    pinned,
    provider,
)

POLICY = "no-cross-tenant-sharing"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TENANT_ROOT = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
               "Resource": "*"}
LOGS_SERVICE = {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                "Action": "kms:Decrypt*", "Resource": "*"}
DENY_INSECURE = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
PINNED_WILDCARD = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Publish", "Resource": "*",
                   "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
SERVICE_TRUST = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                 "Action": "sts:AssumeRole"}


def _compliant() -> None:
    p = provider()
    aws.kms.Key("key", enable_key_rotation=True, policy=_doc(TENANT_ROOT, LOGS_SERVICE), tags=TAGS,
                opts=pinned(p))
    bucket = aws.s3.Bucket("bucket", tags=TAGS, opts=pinned(p))
    aws.s3.BucketPolicy("bucket-policy", bucket=bucket.id, policy=_doc(DENY_INSECURE), opts=pinned(p))
    aws.sns.Topic("topic", policy=_doc(PINNED_WILDCARD), tags=TAGS, opts=pinned(p))
    aws.iam.Role("task-role", assume_role_policy=_doc(SERVICE_TRUST), tags=TAGS, opts=pinned(p))
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    peer = aws.ec2.Vpc("peer-vpc", cidr_block="10.1.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.VpcPeeringConnection("same-account-peering", vpc_id=vpc.id, peer_vpc_id=peer.id,
                                 peer_owner_id=ACCOUNT, tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("pack_config", [None, {POLICY: {"accountId": ACCOUNT}}])
def test_tenant_scoped_sharing_passes(preview: bool, pack_config: dict[str, object] | None) -> None:
    found = evaluate(_compliant, preview=preview, pack_config=pack_config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _ram() -> None:
    p = provider()
    aws.ram.ResourceShare("share", allow_external_principals=False, tags=TAGS, opts=pinned(p))


def _vpc_peering() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.VpcPeeringConnection("peering", vpc_id=vpc.id, peer_vpc_id="vpc-0abc", peer_owner_id=OTHER_ACCOUNT,
                                 tags=TAGS, opts=pinned(p))


def _tgw_peering() -> None:
    p = provider()
    tgw = aws.ec2transitgateway.TransitGateway("tgw", tags=TAGS, opts=pinned(p))
    aws.ec2transitgateway.PeeringAttachment("tgw-peering", transit_gateway_id=tgw.id, peer_region="us-west-2",
                                            peer_transit_gateway_id="tgw-0abc", peer_account_id=OTHER_ACCOUNT,
                                            tags=TAGS, opts=pinned(p))


def _foreign_key_principal() -> None:
    p = provider()
    foreign = {**TENANT_ROOT, "Sid": "Foreign", "Principal": {"AWS": [f"arn:aws:iam::{OTHER_ACCOUNT}:root"]}}
    aws.kms.Key("key", enable_key_rotation=True, policy=_doc(TENANT_ROOT, foreign), tags=TAGS, opts=pinned(p))


def _wildcard_repository_policy() -> None:
    p = provider()
    repo = aws.ecr.Repository("repo", tags=TAGS, opts=pinned(p))
    pull = {"Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}
    aws.ecr.RepositoryPolicy("repo-policy", repository=repo.name, policy=_doc(pull), opts=pinned(p))


def _foreign_trust() -> None:
    p = provider()
    trust = {"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT}, "Action": "sts:AssumeRole"}
    aws.iam.Role("role", assume_role_policy=_doc(SERVICE_TRUST, trust), tags=TAGS, opts=pinned(p))


def _wildcard_pinned_elsewhere() -> None:
    p = provider()
    other = {**PINNED_WILDCARD, "Condition": {"StringEquals": {"aws:SourceAccount": OTHER_ACCOUNT}}}
    aws.sns.TopicPolicy("topic-policy", arn=f"arn:aws:sns:us-east-1:{ACCOUNT}:t", policy=_doc(other),
                        opts=pinned(p))


CASES: list[tuple[Callable[[], None], str, str]] = [
    (_ram, "aws:ram/resourceShare:ResourceShare::share", "AWS RAM"),
    (_vpc_peering, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection::peering",
     f"connects to account {OTHER_ACCOUNT}"),
    (_tgw_peering, "aws:ec2transitgateway/peeringAttachment:PeeringAttachment::tgw-peering",
     f"not the tenant account {ACCOUNT}"),
    (_foreign_key_principal, "aws:kms/key:Key::key",
     f"statement Foreign allows principal arn:aws:iam::{OTHER_ACCOUNT}"),
    (_wildcard_repository_policy, "aws:ecr/repositoryPolicy:RepositoryPolicy::repo-policy",
     "allows any principal"),
    (_foreign_trust, "aws:iam/role:Role::role", f"of account {OTHER_ACCOUNT}"),
    (_wildcard_pinned_elsewhere, "aws:sns/topicPolicy:TopicPolicy::topic-policy", "allows any principal"),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("program", "urn_suffix", "phrase"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_sharing_is_mandatory_violation(
    preview: bool, program: Callable[[], None], urn_suffix: str, phrase: str
) -> None:
    found = findings(evaluate(program, preview=preview), POLICY)
    assert_one_mandatory(found, urn_suffix, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_unknown_tenant_account_cannot_prove_a_peer_is_the_tenant(preview: bool) -> None:
    """Default provider and no accountId: any peer account is a finding; with accountId it is judged."""
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS)
        aws.ec2.VpcPeeringConnection("peering", vpc_id=vpc.id, peer_vpc_id="vpc-0abc", peer_owner_id=ACCOUNT,
                                     tags=TAGS)

    found = findings(evaluate(program, preview=preview), POLICY)
    assert len(found) == 1
    assert "tenant account is unknown" in found[0].message
    assert findings(evaluate(program, preview=preview, pack_config={POLICY: {"accountId": ACCOUNT}}), POLICY) == []


def _bucket_policy(principal_account: str, actions: list[str]) -> Callable[[], None]:
    def program() -> None:
        p = provider()
        bucket = aws.s3.Bucket("logs", bucket="acme-prod-alb-logs", tags=TAGS, opts=pinned(p))
        aws.s3.BucketPolicy("logs-policy", bucket=bucket.id, policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "LogDelivery", "Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{principal_account}:root"},
                           "Action": actions, "Resource": "arn:aws:s3:::acme-prod-alb-logs/alb/*"}],
        }), opts=pinned(p))
    return program


@pytest.mark.parametrize("preview", [True, False])
def test_elb_log_delivery_may_put_objects_only(preview: bool) -> None:
    assert findings(evaluate(_bucket_policy("127311923021", ["s3:PutObject"]), preview=preview), POLICY) == []
    found = findings(evaluate(_bucket_policy("127311923021", ["s3:PutObject", "s3:GetObject"]), preview=preview),
                     POLICY)
    assert_one_mandatory(found, "aws:s3/bucketPolicy:BucketPolicy::logs-policy", "of account 127311923021")
    found = findings(evaluate(_bucket_policy("999999999999", ["s3:PutObject"]), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:s3/bucketPolicy:BucketPolicy::logs-policy", "of account 999999999999")


# --- the operator's identity account (account stacks: `operatorAccountId`) ---------------------------------

OPERATOR = "999999999999"
OPERATOR_CONFIG = {POLICY: {"accountId": ACCOUNT, "operatorAccountId": OPERATOR}}
PEOPLE_TRUST = {"Sid": "People", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OPERATOR}:root"},
                "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
CI_TRUST = {"Sid": "Ci", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OPERATOR}:role/connect-ci"},
            "Action": "sts:AssumeRole"}


def _operator_roles() -> None:
    p = provider()
    aws.iam.Role("people", assume_role_policy=_doc(PEOPLE_TRUST), tags=TAGS, opts=pinned(p))
    aws.iam.Role("deployer", assume_role_policy=_doc(CI_TRUST), tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_operator_account_is_admitted_in_role_trust_when_configured(preview: bool) -> None:
    assert findings(evaluate(_operator_roles, preview=preview, pack_config=OPERATOR_CONFIG), POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_operator_account_is_foreign_when_not_configured(preview: bool) -> None:
    found = findings(evaluate(_operator_roles, preview=preview, pack_config={POLICY: {"accountId": ACCOUNT}}),
                     POLICY)
    assert sorted(v.urn.rsplit("::", 1)[-1] for v in found) == ["deployer", "people"]
    assert all(f"of account {OPERATOR}, not the tenant account {ACCOUNT}" in v.message for v in found)


def _other_account_beside_the_operator() -> None:
    p = provider()
    other = {"Sid": "Other", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
             "Action": "sts:AssumeRole"}
    aws.iam.Role("role", assume_role_policy=_doc(PEOPLE_TRUST, other), tags=TAGS, opts=pinned(p))


def _operator_in_a_resource_policy() -> None:
    p = provider()
    grant = {**TENANT_ROOT, "Sid": "Operator", "Principal": {"AWS": f"arn:aws:iam::{OPERATOR}:root"}}
    aws.kms.Key("key", enable_key_rotation=True, policy=_doc(TENANT_ROOT, grant), tags=TAGS, opts=pinned(p))


def _operator_in_a_bucket_policy() -> None:
    p = provider()
    bucket = aws.s3.Bucket("bucket", bucket="acme-account-data", tags=TAGS, opts=pinned(p))
    read = {"Sid": "Operator", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OPERATOR}:role/connect-ci"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-account-data/*"}
    aws.s3.BucketPolicy("bucket-policy", bucket=bucket.id, policy=_doc(DENY_INSECURE, read), opts=pinned(p))


OPERATOR_CASES: list[tuple[Callable[[], None], str, str]] = [
    (_other_account_beside_the_operator, "aws:iam/role:Role::role", f"statement Other allows principal "
     f"arn:aws:iam::{OTHER_ACCOUNT}:root of account {OTHER_ACCOUNT}"),
    (_operator_in_a_resource_policy, "aws:kms/key:Key::key", f"statement Operator allows principal "
     f"arn:aws:iam::{OPERATOR}:root of account {OPERATOR}"),
    (_operator_in_a_bucket_policy, "aws:s3/bucketPolicy:BucketPolicy::bucket-policy", f"of account {OPERATOR}"),
]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("program", "urn_suffix", "phrase"), OPERATOR_CASES,
                         ids=[c[0].__name__.strip("_") for c in OPERATOR_CASES])
def test_operator_config_admits_nothing_else(
    preview: bool, program: Callable[[], None], urn_suffix: str, phrase: str
) -> None:
    """Another account beside the operator's stays foreign; the operator gets no resource policy grant."""
    found = findings(evaluate(program, preview=preview, pack_config=OPERATOR_CONFIG), POLICY)
    assert_one_mandatory(found, urn_suffix, phrase)


# --- roads to another account besides policies (issue #20) -------------------------------------------------

FOREIGN_ROLE = f"arn:aws:iam::{OTHER_ACCOUNT}:role/reader"


def _tenant_scoped_roads() -> None:
    """Grants, copies, attachments and accepters that stay in the tenant's account: none is a finding."""
    p = provider()
    dr = aws.Provider("dr", region="us-west-2", allowed_account_ids=[ACCOUNT])
    key = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS, opts=pinned(p))
    role = aws.iam.Role("task-role", assume_role_policy=_doc(SERVICE_TRUST), tags=TAGS, opts=pinned(p))
    aws.kms.Grant("grant", key_id=key.key_id, grantee_principal=role.arn, operations=["Decrypt"], opts=pinned(p))
    aws.kms.Grant("grant-literal", key_id=key.key_id, grantee_principal=f"arn:aws:iam::{ACCOUNT}:role/app",
                  operations=["Decrypt"], opts=pinned(p))
    vault = aws.backup.Vault("vault", tags=TAGS, opts=pinned(p))
    dr_vault = aws.backup.Vault("dr-vault", tags=TAGS, opts=pinned(dr))
    aws.backup.Plan("plan", rules=[{
        "rule_name": "daily", "target_vault_name": vault.name, "schedule": "cron(0 5 * * ? *)",
        "copy_actions": [{"destination_vault_arn": dr_vault.arn},
                         {"destination_vault_arn": f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:spare"}]}],
        tags=TAGS, opts=pinned(p))
    aws.rds.ClusterSnapshot("snapshot", db_cluster_identifier="ledger", db_cluster_snapshot_identifier="ledger-1",
                            shared_accounts=[ACCOUNT], tags=TAGS, opts=pinned(p))
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    subnet = aws.ec2.Subnet("subnet", vpc_id=vpc.id, cidr_block="10.0.0.0/24", tags=TAGS, opts=pinned(p))
    tgw = aws.ec2transitgateway.TransitGateway("tgw", tags=TAGS, opts=pinned(p))
    aws.ec2transitgateway.VpcAttachment("attachment", transit_gateway_id=tgw.id, vpc_id=vpc.id,
                                        subnet_ids=[subnet.id], tags=TAGS, opts=pinned(p))
    peer = aws.ec2.Vpc("dr-vpc", cidr_block="10.1.0.0/16", tags=TAGS, opts=pinned(dr))
    peering = aws.ec2.VpcPeeringConnection("to-dr", vpc_id=vpc.id, peer_vpc_id=peer.id, peer_region="us-west-2",
                                           tags=TAGS, opts=pinned(p))
    aws.ec2.VpcPeeringConnectionAccepter("from-primary", vpc_peering_connection_id=peering.id, auto_accept=True,
                                         tags=TAGS, opts=pinned(dr))
    source = aws.s3.Bucket("documents", bucket="connect-documents", tags=TAGS, opts=pinned(p))
    replica = aws.s3.Bucket("documents-dr", bucket="connect-documents-dr", tags=TAGS, opts=pinned(dr))
    aws.s3.BucketReplicationConfig("documents-replication", bucket=source.id, role=f"arn:aws:iam::{ACCOUNT}:role/r",
                                   rules=[{"id": "dr", "status": "Enabled", "destination": {"bucket": replica.arn}},
                                          {"id": "dr-literal", "status": "Enabled", "priority": 2,
                                           "destination": {"bucket": "arn:aws:s3:::connect-documents-dr",
                                                           "account": ACCOUNT}}],
                                   opts=pinned(p))
    topic = aws.sns.Topic("alerts", tags=TAGS, opts=pinned(p))
    queue = aws.sqs.Queue("alerts-queue", tags=TAGS, opts=pinned(p))
    aws.sns.TopicSubscription("to-queue", topic=topic.arn, protocol="sqs", endpoint=queue.arn, opts=pinned(p))
    aws.sns.TopicSubscription("to-people", topic=topic.arn, protocol="email", endpoint="oncall@example.com",
                              opts=pinned(p))
    aws.ecr.ReplicationConfiguration("registry-replication", replication_configuration={"rules": [{
        "destinations": [{"region": "us-west-2", "registry_id": ACCOUNT}]}]}, opts=pinned(p))
    aws.ec2.VpcEndpoint("logs-endpoint", vpc_id=vpc.id, service_name="com.amazonaws.us-east-1.logs",
                        vpc_endpoint_type="Interface", subnet_ids=[subnet.id], tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_tenant_scoped_roads_pass(preview: bool) -> None:
    found = evaluate(_tenant_scoped_roads, preview=preview, pack_config={POLICY: {"accountId": ACCOUNT}})
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _foreign_roads() -> None:
    p = provider()
    key = aws.kms.Key("key", enable_key_rotation=True, tags=TAGS, opts=pinned(p))
    aws.kms.Grant("foreign-grant", key_id=key.key_id, grantee_principal=FOREIGN_ROLE, operations=["Decrypt"],
                  opts=pinned(p))
    vault = aws.backup.Vault("vault", tags=TAGS, opts=pinned(p))
    aws.backup.Plan("foreign-copy", rules=[{
        "rule_name": "daily", "target_vault_name": vault.name, "schedule": "cron(0 5 * * ? *)",
        "copy_actions": [{"destination_vault_arn": f"arn:aws:backup:us-west-2:{OTHER_ACCOUNT}:backup-vault:hub"}]}],
        tags=TAGS, opts=pinned(p))
    aws.rds.Snapshot("db-snapshot", db_instance_identifier="ledger", db_snapshot_identifier="ledger-1",
                     shared_accounts=[OTHER_ACCOUNT], tags=TAGS, opts=pinned(p))
    aws.rds.ClusterSnapshot("public-snapshot", db_cluster_identifier="ledger", db_cluster_snapshot_identifier="l-2",
                            shared_accounts=["all"], tags=TAGS, opts=pinned(p))
    aws.ec2.SnapshotCreateVolumePermission("volume-permission", snapshot_id="snap-0123456789abcdef0",
                                           account_id=OTHER_ACCOUNT, opts=pinned(p))
    aws.ec2.AmiLaunchPermission("launch-permission", image_id="ami-0123456789abcdef0",
                                organization_arn="arn:aws:organizations::999999999999:organization/o-abc",
                                opts=pinned(p))
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    subnet = aws.ec2.Subnet("subnet", vpc_id=vpc.id, cidr_block="10.0.0.0/24", tags=TAGS, opts=pinned(p))
    aws.ec2transitgateway.VpcAttachment("hub-attachment", transit_gateway_id="tgw-0a1b2c3d4e5f67890", vpc_id=vpc.id,
                                        subnet_ids=[subnet.id], tags=TAGS, opts=pinned(p))
    aws.ec2.VpcPeeringConnectionAccepter("accepter", vpc_peering_connection_id="pcx-0a1b2c3d4e5f67890",
                                         auto_accept=True, tags=TAGS, opts=pinned(p))
    source = aws.s3.Bucket("documents", bucket="connect-documents", tags=TAGS, opts=pinned(p))
    aws.s3.BucketReplicationConfig("partner-replication", bucket=source.id, role=f"arn:aws:iam::{ACCOUNT}:role/r",
                                   rules=[{"id": "partner", "status": "Enabled",
                                           "destination": {"bucket": "arn:aws:s3:::partner-documents",
                                                           "account": OTHER_ACCOUNT}}], opts=pinned(p))
    topic = aws.sns.Topic("alerts", tags=TAGS, opts=pinned(p))
    aws.sns.TopicSubscription("to-partner", topic=topic.arn, protocol="sqs",
                              endpoint=f"arn:aws:sqs:us-east-1:{OTHER_ACCOUNT}:collector", opts=pinned(p))
    aws.ecr.ReplicationConfiguration("registry-replication", replication_configuration={"rules": [{
        "destinations": [{"region": "us-east-1", "registry_id": OTHER_ACCOUNT}]}]}, opts=pinned(p))
    aws.ec2.VpcEndpoint("partner-endpoint", vpc_id=vpc.id, vpc_endpoint_type="Interface", subnet_ids=[subnet.id],
                        service_name="com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718", tags=TAGS,
                        opts=pinned(p))


ROADS = {
    "kms-grant": ("aws:kms/grant:Grant::foreign-grant",
                  f"KMS grant 'foreign-grant' gives granteePrincipal {FOREIGN_ROLE} of account {OTHER_ACCOUNT}"),
    "backup-copy": ("aws:backup/plan:Plan::foreign-copy", f"a vault of account {OTHER_ACCOUNT}"),
    "db-snapshot": ("aws:rds/snapshot:Snapshot::db-snapshot",
                    f"DB snapshot 'db-snapshot' is shared with account {OTHER_ACCOUNT} (sharedAccounts)"),
    "public-snapshot": ("aws:rds/clusterSnapshot:ClusterSnapshot::public-snapshot",
                        "is shared with everyone (sharedAccounts: all)"),
    "ebs-permission": ("aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission::volume-permission",
                       f"EBS snapshot create-volume permission 'volume-permission' is shared with account "
                       f"{OTHER_ACCOUNT}"),
    "ami-organization": ("aws:ec2/amiLaunchPermission:AmiLaunchPermission::launch-permission",
                         "shares the image with arn:aws:organizations::999999999999:organization/o-abc"),
    "tgw-hub": ("aws:ec2transitgateway/vpcAttachment:VpcAttachment::hub-attachment",
                "joins transit gateway 'tgw-0a1b2c3d4e5f67890', which is no transit gateway of this stack"),
    "peering-accepter": ("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter::accepter",
                         "accepts a connection this stack did not request"),
    "bucket-replication": ("aws:s3/bucketReplicationConfig:BucketReplicationConfig::partner-replication",
                           f"rule partner copies objects to account {OTHER_ACCOUNT}"),
    "subscription": ("aws:sns/topicSubscription:TopicSubscription::to-partner",
                     f"delivers every message to arn:aws:sqs:us-east-1:{OTHER_ACCOUNT}:collector"),
    "registry-replication": ("aws:ecr/replicationConfiguration:ReplicationConfiguration::registry-replication",
                             f"copies every image to the registry of account {OTHER_ACCOUNT}"),
    "endpoint-service": ("aws:ec2/vpcEndpoint:VpcEndpoint::partner-endpoint",
                         "connects to endpoint service com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718"),
}


@functools.cache
def _roads(preview: bool) -> list[Any]:
    return findings(evaluate(_foreign_roads, preview=preview, pack_config={POLICY: {"accountId": ACCOUNT}}), POLICY)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(ROADS))
def test_sharing_by_other_roads_is_violation(preview: bool, case: str) -> None:
    urn, phrase = ROADS[case]
    assert_one_mandatory([v for v in _roads(preview) if v.urn.endswith(urn)], urn, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_one_finding_per_road(preview: bool) -> None:
    assert len(_roads(preview)) == len(ROADS)
