"""no-cross-tenant-sharing: nothing in a tenant's account is shared with, or opened to, another account.

- Any AWS RAM resource (share, resource or principal association, accepter...) is a violation.
- A VPC peering whose `peerOwnerId`, or a transit gateway peering attachment whose `peerAccountId`,
  is not the tenant account (when the tenant account is not known, any such account is a violation).
- Resource policies (ECR repository/registry, KMS key, S3 bucket, SNS topic, backup vault) and IAM
  role trust policies: an Allow statement with a wildcard principal (`"*"`, `{"AWS": "*"}` or a
  `NotPrincipal`) is a violation unless a condition pins aws:PrincipalAccount, aws:SourceAccount or
  aws:SourceOwner to the tenant account; an AWS or federated principal of another account is a
  violation. Service principals are fine; Deny statements never share anything.
- One AWS-owned exception: in S3 bucket policies, Elastic Load Balancing's regional log-delivery
  account may be granted `s3:PutObject` and nothing else (regions opened before August 2022 deliver
  load balancer access logs from that account; `LOG_DELIVERY_ACCOUNTS` lists them).
- One operator exception: the operator's identity account (pack config `operatorAccountId`, set for
  account stacks) may be an AWS principal of an IAM role's trust policy, which is how the platform team
  reaches the account (its roles, `iam-trust-tenant-scoped` judges how). Nowhere else: no resource
  policy grants the operator account anything directly. Without the config it is a foreign account
  like any other.

The tenant account is the pack config's `accountId`, else the single account the resource's provider
is pinned to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.util import (
    Pending,
    config_of,
    get_raw,
    is_unknown,
    parse_policy_document,
    plain,
    principal_account,
    principal_values,
    statements,
    tenant_account,
    unknown_path,
)

RAM_PREFIX = "aws:ram/"
PEERINGS = {
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": ("peerOwnerId", "VPC peering"),
    "aws:ec2transitgateway/peeringAttachment:PeeringAttachment": ("peerAccountId", "transit gateway peering"),
}
POLICY_PROPS = {
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:ecr/registryPolicy:RegistryPolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:kms/replicaKey:ReplicaKey": "policy",
    "aws:s3/bucket:Bucket": "policy",
    "aws:s3/bucketV2:BucketV2": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:backup/vaultPolicy:VaultPolicy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
}
ROLE = "aws:iam/role:Role"
BUCKET_POLICIES = frozenset({"aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
# Elastic Load Balancing log-delivery accounts (AWS documentation, "Enable access logs for your
# Application Load Balancer"), regions opened before August 2022.
LOG_DELIVERY_ACCOUNTS = frozenset({
    "127311923021", "033677994240", "027434742980", "797873946194", "098369216593", "754344448648",
    "589379963580", "718504428378", "383597477331", "600734575887", "114774131450", "783225319266",
    "582318560864", "985666609251", "054676820928", "156460612806", "652711504416", "635631232127",
    "009996457667", "897822967062", "076674570225", "507241528517",
})
PINNING_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner"})
PINNING_OPERATORS = frozenset({"stringequals", "stringlike"})
UNKNOWN_TENANT = "the tenant account is unknown (set the policy config accountId or pin the provider)"


def _pinned_to_tenant(condition: Any, tenant: str | None) -> bool:
    """A condition restricts the statement to principals/sources of the tenant account."""
    if tenant is None or not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if str(operator).lower() not in PINNING_OPERATORS or not isinstance(block, Mapping):
            continue
        for key, values in block.items():
            found = values if isinstance(values, list) else [values]
            if str(key).lower() in PINNING_KEYS and found and all(v == tenant for v in found):
                return True
    return False


def _log_delivery_only(statement: Mapping[str, Any], account: str) -> bool:
    """ELB's log-delivery account, allowed to put objects and nothing else."""
    actions = statement.get("Action")
    actions = actions if isinstance(actions, list) else [actions]
    return account in LOG_DELIVERY_ACCOUNTS and actions == ["s3:PutObject"] and "NotAction" not in statement


def _statement_findings(doc: Mapping[str, Any], tenant: str | None, bucket_policy: bool = False,
                        operator: str | None = None) -> list[str]:
    """What shares the resource outside the tenant; AWS principals of `operator` (role trust only) pass."""
    findings: list[str] = []
    for index, statement in enumerate(statements(doc)):
        if statement.get("Effect") == "Deny":
            continue
        label = f"statement {statement.get('Sid') or index}"
        principal = statement.get("Principal")
        wildcard = "NotPrincipal" in statement or principal == "*" or "*" in principal_values(principal, "AWS")
        condition = statement.get("Condition")
        if wildcard and unknown_path(condition) is None and not _pinned_to_tenant(condition, tenant):
            findings.append(
                f"{label} allows any principal without a condition pinning aws:PrincipalAccount, "
                f"aws:SourceAccount or aws:SourceOwner to the tenant account"
                + (f" {tenant}" if tenant else f"; {UNKNOWN_TENANT}")
            )
        for kind in ("AWS", "Federated"):
            for value in principal_values(principal, kind):
                account = principal_account(value)
                if account is None or account == tenant or (kind == "AWS" and account == operator):
                    continue
                if bucket_policy and kind == "AWS" and _log_delivery_only(statement, account):
                    continue
                findings.append(
                    f"{label} allows principal {value} of account {account}, "
                    + (f"not the tenant account {tenant}" if tenant else UNKNOWN_TENANT)
                )
    return findings


def _unknown_parts(doc: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Paths (inside an object-form document) of unknown values that decide the outcome."""
    found = doc.get("Statement")
    if is_unknown(found):
        return [("Statement",)]
    entries: list[tuple[tuple[Any, ...], Any]] = (
        [(("Statement",), found)] if isinstance(found, Mapping)
        else [(("Statement", index), item) for index, item in enumerate(found or [])]
    )
    paths: list[tuple[Any, ...]] = []
    for prefix, statement in entries:
        for key in ("Effect", "Principal", "NotPrincipal", "Condition"):
            where = unknown_path(statement.get(key)) if isinstance(statement, Mapping) else None
            if where is not None:
                paths.append((*prefix, key, *where))
    return paths


def _check_policy(args: ResourceValidationArgs, prop: str, tenant: str | None, operator: str | None,
                  report_violation: ReportViolation, pending: Pending) -> None:
    value = plain(get_raw(args.props, prop))
    if value in (None, ""):
        return
    if is_unknown(value):
        pending.add(args.props, prop)
        return
    doc = parse_policy_document(value)
    if doc is None:
        return  # not a JSON policy: the provider rejects it
    unknown = _unknown_parts(doc) if isinstance(value, Mapping) else []
    for path in unknown:
        pending.add(args.props, prop, *path)
    trust = operator if args.resource_type == ROLE else None  # the operator is admitted in role trust only
    for finding in _statement_findings(doc, tenant, bucket_policy=args.resource_type in BUCKET_POLICIES,
                                       operator=trust):
        report_violation(f"{args.resource_type} '{args.name}' {prop}: {finding}", None)


def _check_peering(args: ResourceValidationArgs, prop: str, what: str, tenant: str | None,
                   report_violation: ReportViolation, pending: Pending) -> None:
    account = get_raw(args.props, prop)
    if account in (None, ""):
        return  # same account as the requester
    if is_unknown(account):
        pending.add(args.props, prop)
    elif account != tenant:
        report_violation(
            f"{what} '{args.name}' connects to account {account} ({prop}), "
            + (f"not the tenant account {tenant}" if tenant else UNKNOWN_TENANT),
            None,
        )


def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """RAM anything, peering to foreign accounts, wildcard or foreign principals in resource policies."""
    kind = args.resource_type
    if kind.startswith(RAM_PREFIX):
        report_violation(
            f"{kind} '{args.name}': AWS RAM shares resources across accounts; a tenant account shares nothing",
            None,
        )
        return
    if kind not in PEERINGS and kind not in POLICY_PROPS:
        return
    config = config_of(args)
    tenant = tenant_account(config, args.provider.props if args.provider is not None else None)
    operator = str(config["operatorAccountId"]) if config.get("operatorAccountId") else None
    pending = Pending()
    if kind in PEERINGS:
        prop, what = PEERINGS[kind]
        _check_peering(args, prop, what, tenant, report_violation, pending)
    if kind in POLICY_PROPS:
        _check_policy(args, POLICY_PROPS[kind], tenant, operator, report_violation, pending)
    pending.settle()


RULE = Rule(
    id="no-cross-tenant-sharing",
    description="No RAM share, cross-account peering, or wildcard/foreign-account principal in resource policies.",
    kind="resource",
    level="mandatory",
    severity="critical",
    owner="operator",
    anchors=("FSBP KMS.5", "FSBP EC2.23", "NAG ECR1", "CKV_AWS_32", "CKV_AWS_33", "CKV_AWS_60", "CKV_AWS_61",
             "CKV_AWS_331"),
    iso27001=("A.5.15", "A.8.3", "A.8.22"),
    ccm=("IAM-16", "IVS-06"),
    remediation=(
        "Remove RAM shares and cross-account peerings; in resource and trust policies name only service "
        "principals or principals of the tenant account, and pin any '*' principal with a condition on "
        "aws:PrincipalAccount/aws:SourceAccount/aws:SourceOwner equal to the tenant account. The operator's "
        "identity account (operatorAccountId) belongs in role trust policies only."
    ),
    unwaivable=True,
    check=check,
    config={
        "accountId": {
            "type": "string",
            "pattern": "^[0-9]{12}$",
            "description": "The tenant account; defaults to the account the resource's provider is pinned to.",
        },
        "operatorAccountId": {
            "type": "string",
            "pattern": "^[0-9]{12}$",
            "description": "The operator's identity account (account stacks): admitted as an AWS principal of "
                           "IAM role trust policies only; unset, it is a foreign account like any other.",
        },
    },
)
