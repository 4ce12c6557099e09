"""no-cross-tenant-sharing: RAM, cross-account peering and foreign/wildcard principals in policies."""

from __future__ import annotations

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
