"""no-cross-tenant-sharing: nothing in a tenant's account is shared with, or opened to, another account.

Every road AWS offers to share is read, by what the resource is:
- Any AWS RAM resource (share, resource or principal association, accepter...) is a violation.
- Connections: a VPC peering whose `peerOwnerId`, or a transit gateway peering attachment whose
  `peerAccountId`, is not the tenant account; a peering or transit gateway peering accepter that accepts a
  connection this stack did not request (its `vpcPeeringConnectionId`/`transitGatewayAttachmentId` not fed by
  a requester of the stack) unless its known `peerOwnerId`/`peerAccountId` is the tenant's; any transit
  gateway VPC attachment accepter (only another account's VPC needs one); a transit gateway VPC attachment or
  a VPN connection whose `transitGatewayId` is not a transit gateway of this stack (fed by one, or its known
  id): a hub of another account, shared through RAM, which inside an organization is accepted automatically
  (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html#tgw-sharing), so no RAM accepter in
  the tenant's stack would show it.
- Copies and deliveries out: a bucket replication rule whose `destination.account` is another account, or whose
  `destination.bucket` is no bucket of this stack; an ECR replication destination whose `registryId` is another
  account; a topic subscription whose `endpoint` is an ARN (queue, function, stream) of another account; an
  interface endpoint to an endpoint service (`...vpce-svc-*`) this stack does not offer, and an endpoint service
  (or its allowed-principal resource) that admits `*` or another account.
- Grants and shares of data: a KMS grant (`aws:kms/grant:Grant`) whose `granteePrincipal` or
  `retiringPrincipal` is a principal of another account (a role or user of the stack that fed it is the
  tenant's); RDS snapshots, cluster snapshots and their copies whose `sharedAccounts` name another account
  or `all` (public); EBS snapshot create-volume permissions and AMI launch permissions for another account,
  the `all` group, an organization or an organizational unit; backup plans whose
  `copyActions[].destinationVaultArn` is a vault of another account (the ARN's account field; an unknown
  destination fed by vaults of the stack is the tenant's, one fed by a stack reference is decided in `up`).
- Resource policies (ECR repository/registry, KMS key, S3 bucket, SNS topic, SQS queue, Secrets Manager
  secret, EFS file system, backup vault) and IAM role trust policies: an Allow statement with a wildcard
  principal (`"*"`, `{"AWS": "*"}` or a `NotPrincipal`) is a violation unless a condition pins
  aws:PrincipalAccount, aws:SourceAccount or aws:SourceOwner to the tenant account; an AWS or federated
  principal of another account is a violation. Service principals are fine; Deny statements never share
  anything.
- One AWS-owned exception: in S3 bucket policies, Elastic Load Balancing's regional log-delivery
  account may be granted `s3:PutObject` and nothing else (regions opened before August 2022 deliver
  load balancer access logs from that account; `LOG_DELIVERY_ACCOUNTS` lists them).
- One operator exception: the operator's identity account (pack config `operatorAccountId`, set for
  account stacks) may be an AWS principal of an IAM role's trust policy, which is how the platform team
  reaches the account (its roles, `iam-trust-tenant-scoped` judges how). Nowhere else: no resource
  policy grants the operator account anything directly. Without the config it is a foreign account
  like any other.

The tenant account is the pack config's `accountId`, else the single account the resource's provider
is pinned to (when neither is known, any other account is a violation). A stack rule: whether a transit
gateway, a vault or a grantee belongs to the stack is a property dependency, which only stack policies see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.data_util import LOG_DELIVERY_ACCOUNTS, Inventory
from connect_guardrails.iam import principal_account, principal_values, read_document, statements
from connect_guardrails.rule import Rule, account_config
from connect_guardrails.unknowns import Pending, get_raw, is_known, is_unknown, known_str, plain, unknown_path
from connect_guardrails.util import (
    BUCKET_TYPES,
    STACK_REFERENCE,
    Index,
    arn_account,
    as_list,
    backup_plan_rules,
    backup_rule_label,
    config_of,
    deps_of,
    tenant_account,
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
    "aws:sqs/queue:Queue": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
}
# Accepters of a connection requested elsewhere: (what fed the request, requester types, account output).
ACCEPTERS = {
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": (
        "vpcPeeringConnectionId", ("aws:ec2/vpcPeeringConnection:VpcPeeringConnection",), "peerOwnerId",
        "VPC peering accepter"),
    "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter": (
        "transitGatewayAttachmentId", ("aws:ec2transitgateway/peeringAttachment:PeeringAttachment",),
        "peerAccountId", "transit gateway peering accepter"),
}
TGW_VPC_ACCEPTER = "aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter"
TRANSIT_GATEWAY = "aws:ec2transitgateway/transitGateway:TransitGateway"
# Resources that join a VPC or a VPN to a transit gateway.
TGW_USERS = {"aws:ec2transitgateway/vpcAttachment:VpcAttachment": "transit gateway VPC attachment",
             "aws:ec2/vpnConnection:VpnConnection": "VPN connection"}
KMS_GRANT = "aws:kms/grant:Grant"
GRANT_PRINCIPALS = ("granteePrincipal", "retiringPrincipal")
IDENTITIES = frozenset({"aws:iam/role:Role", "aws:iam/user:User"})
SNAPSHOT_SHARES = {
    "aws:rds/snapshot:Snapshot": "DB snapshot",
    "aws:rds/clusterSnapshot:ClusterSnapshot": "DB cluster snapshot",
    "aws:rds/snapshotCopy:SnapshotCopy": "DB snapshot copy",
    "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy": "DB cluster snapshot copy",
}
VOLUME_PERMISSION = "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission"
LAUNCH_PERMISSION = "aws:ec2/amiLaunchPermission:AmiLaunchPermission"
BACKUP_PLAN = "aws:backup/plan:Plan"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
REGISTRY_REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_SERVICE = "aws:ec2/vpcEndpointService:VpcEndpointService"
ENDPOINT_PRINCIPAL = "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple"
# An endpoint service's name: `com.amazonaws.vpce.<region>.vpce-svc-<id>`
# (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-saas.html).
ENDPOINT_SERVICE_NAME = re.compile(r"\.vpce-svc-[0-9a-f]+$")
ROLE = "aws:iam/role:Role"
BUCKET_POLICIES = frozenset({"aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
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


Report = Callable[[str], None]


def _not_tenant(tenant: str | None) -> str:
    return f"not the tenant account {tenant}" if tenant else UNKNOWN_TENANT


def _check_policy(resource: PolicyResource, prop: str, tenant: str | None, operator: str | None,
                  report: Report, pending: Pending) -> None:
    value = plain(pending.read(resource.props, prop))
    if value in (None, "") or is_unknown(value):
        return
    doc = read_document(value)
    if doc is None:
        return  # not a JSON policy: the provider rejects it
    unknown = _unknown_parts(doc) if isinstance(value, Mapping) else []
    for path in unknown:
        pending.add(resource.props, prop, *path)
    kind = resource.resource_type
    trust = operator if kind == ROLE else None  # the operator is admitted in role trust only
    for finding in _statement_findings(doc, tenant, bucket_policy=kind in BUCKET_POLICIES, operator=trust):
        report(f"{kind} '{resource.name}' {prop}: {finding}")


def _check_peering(resource: PolicyResource, prop: str, what: str, tenant: str | None, report: Report,
                   pending: Pending) -> None:
    account = pending.read(resource.props, prop)
    if account in (None, ""):
        return  # same account as the requester
    if is_known(account) and account != tenant:
        report(f"{what} '{resource.name}' connects to account {account} ({prop}), {_not_tenant(tenant)}")


def _check_accepter(resource: PolicyResource, tenant: str | None, report: Report) -> None:
    request, requesters, owner_prop, what = ACCEPTERS[resource.resource_type]
    if any(r.resource_type in requesters for r in deps_of(resource, request)):
        return  # the stack requested it (same account, another region)
    owner = known_str(resource.props, owner_prop)
    if owner is not None and owner == tenant:
        return
    report(f"{what} '{resource.name}' accepts a connection this stack did not request"
           + (f" (from account {owner}, {_not_tenant(tenant)})" if owner else "")
           + "; a tenant accepts no connection from another account")


def _check_transit_gateway(resource: PolicyResource, tgws: Mapping[str, str | None], report: Report) -> None:
    """A VPC attachment or VPN connection on a transit gateway this stack does not declare."""
    value = get_raw(resource.props, "transitGatewayId")
    fed = deps_of(resource, "transitGatewayId")
    if value in (None, "") and not fed:
        return  # a VPN connection on a virtual private gateway
    if any(r.urn in tgws for r in fed) or (isinstance(value, str) and value in tgws.values()):
        return
    source = f"{value!r}" if isinstance(value, str) and not is_unknown(value) else (
        f"fed by {fed[0].resource_type.rsplit(':', 1)[-1]} '{fed[0].name}'" if fed else "from outside this stack")
    report(f"{TGW_USERS[resource.resource_type]} '{resource.name}' joins transit gateway {source}, which is no "
           f"transit gateway of this stack: a hub of another account (shared through RAM, accepted automatically "
           f"inside an organization)")


def _check_grant(resource: PolicyResource, tenant: str | None, report: Report, pending: Pending) -> None:
    for prop in GRANT_PRINCIPALS:
        value = get_raw(resource.props, prop)
        if value in (None, "") or any(r.resource_type in IDENTITIES for r in deps_of(resource, prop)):
            continue  # unset, or a role/user of this stack (the tenant's)
        if is_unknown(value):
            pending.add(resource.props, prop)
            continue
        account = principal_account(value)
        if account is not None and account != tenant:
            report(f"KMS grant '{resource.name}' gives {prop} {value} of account {account}, {_not_tenant(tenant)}, "
                   f"use of the key")


def _check_accounts(resource: PolicyResource, what: str, prop: str, tenant: str | None, report: Report,
                    pending: Pending) -> None:
    """A list (or one) of accounts a snapshot or image is shared with; `all` is everyone."""
    value = pending.read(resource.props, prop)
    if is_unknown(value):
        return
    for index, account in enumerate(as_list(value)):
        if is_unknown(account):
            pending.add(resource.props, prop, index)
        elif isinstance(account, str) and account.lower() == "all":
            report(f"{what} '{resource.name}' is shared with everyone ({prop}: all)")
        elif account not in (None, "", tenant):
            report(f"{what} '{resource.name}' is shared with account {account} ({prop}), {_not_tenant(tenant)}")


def _check_launch_permission(resource: PolicyResource, tenant: str | None, report: Report,
                             pending: Pending) -> None:
    _check_accounts(resource, "AMI launch permission", "accountId", tenant, report, pending)
    group = get_raw(resource.props, "group")
    if isinstance(group, str) and group == "all":
        report(f"AMI launch permission '{resource.name}' makes the image public (group: all)")
    for prop in ("organizationArn", "organizationalUnitArn"):
        value = get_raw(resource.props, prop)
        if value not in (None, ""):
            shown = value if not is_unknown(value) else "an organization"
            report(f"AMI launch permission '{resource.name}' shares the image with {shown} ({prop}): every "
                   f"account in it, not only the tenant's")


def _check_backup_copies(plan: PolicyResource, tenant: str | None, report: Report, pending: Pending) -> None:
    fed = deps_of(plan, "rules")
    outside = any(r.resource_type == STACK_REFERENCE for r in fed)
    for index, rule in backup_plan_rules(plan, pending):
        copies = plain(pending.read(plan.props, "rules", index, "copyActions"))
        if is_unknown(copies):
            continue
        for position, copy in enumerate(copies or []):
            destination = copy.get("destinationVaultArn") if isinstance(copy, dict) else None
            if is_unknown(destination):
                if outside:  # a vault of another stack, perhaps of another account: `up` decides
                    pending.add(plan.props, "rules", index, "copyActions", position, "destinationVaultArn")
                continue  # else one of the stack's vaults (the tenant's account: tenant-single-account)
            account = arn_account(destination)
            if account is not None and account != tenant:
                report(f"backup plan '{plan.name}' {backup_rule_label(rule, index)} copies recovery points to "
                       f"{destination}, a vault of account {account}, {_not_tenant(tenant)}")


def _check_bucket_replication(config: PolicyResource, inventory: Inventory, tenant: str | None, report: Report,
                              pending: Pending) -> None:
    """Replication rules that copy a bucket to another account (`destination.account`) or to a bucket this stack
    does not declare (whose owner nothing proves is the tenant)."""
    rules = plain(pending.read(config.props, "rules"))
    if is_unknown(rules):
        return
    fed = [r for r in deps_of(config, "rules") if r.resource_type in BUCKET_TYPES]
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        destination = rule.get("destination") if isinstance(rule, dict) else None
        if not isinstance(destination, dict):
            continue
        label = f"rule {rule.get('id') or index}"
        account = pending.read(config.props, "rules", index, "destination", "account")
        bucket = destination.get("bucket")
        if is_known(account) and account not in (None, "") and account != tenant:
            report(f"bucket replication '{config.name}' {label} copies objects to account {account}, "
                   f"{_not_tenant(tenant)}")
            continue
        if isinstance(bucket, str) and not is_unknown(bucket) and not inventory.named(bucket):
            report(f"bucket replication '{config.name}' {label} copies objects to {bucket}, which is no bucket of this "
                   f"stack (its owner cannot be proven the tenant)")
        elif is_unknown(bucket) and not fed:
            pending.add(config.props, "rules", index, "destination", "bucket")


def _check_registry_replication(config: PolicyResource, tenant: str | None, report: Report, pending: Pending) -> None:
    value = plain(get_raw(config.props, "replicationConfiguration"))
    where = unknown_path(value)
    if where is not None:
        pending.add(config.props, "replicationConfiguration", *where)
        return
    rules = value.get("rules") if isinstance(value, dict) else None
    for rule in rules if isinstance(rules, list) else []:
        destinations = rule.get("destinations") if isinstance(rule, dict) else None
        for destination in destinations if isinstance(destinations, list) else []:
            registry = destination.get("registryId") if isinstance(destination, dict) else None
            if registry not in (None, "", tenant):
                report(f"ECR replication '{config.name}' copies every image to the registry of account {registry}, "
                       f"{_not_tenant(tenant)}")


def _check_subscription(subscription: PolicyResource, tenant: str | None, report: Report, pending: Pending) -> None:
    """A topic subscription whose endpoint is a queue, function or stream of another account."""
    endpoint = get_raw(subscription.props, "endpoint")
    if is_unknown(endpoint):
        if not deps_of(subscription, "endpoint"):
            pending.add(subscription.props, "endpoint")
        return  # fed by a resource of this stack: the tenant's
    account = arn_account(endpoint)
    if account is not None and account != tenant:
        report(f"topic subscription '{subscription.name}' delivers every message to {endpoint}, of account {account}, "
               f"{_not_tenant(tenant)}")


def _check_endpoint(endpoint: PolicyResource, services: Mapping[str, str | None], report: Report) -> None:
    """An interface endpoint to an endpoint service (PrivateLink, `vpce-svc-*`) this stack does not offer."""
    name = get_raw(endpoint.props, "serviceName")
    if any(r.urn in services for r in deps_of(endpoint, "serviceName")):
        return
    if isinstance(name, str) and not is_unknown(name) and ENDPOINT_SERVICE_NAME.search(name) \
            and name not in services.values():
        report(f"VPC endpoint '{endpoint.name}' connects to endpoint service {name}, which this stack does not offer: "
               f"another account's service, a private path out of the VPC")


def _check_principal_list(resource: PolicyResource, prop: str, what: str, tenant: str | None, report: Report,
                          pending: Pending) -> None:
    value = plain(pending.read(resource.props, prop))
    if is_unknown(value):
        return
    for principal in as_list(value):
        if principal == "*":
            report(f"{what} '{resource.name}' admits every account ({prop}: *)")
            continue
        account = principal_account(principal) or arn_account(principal)
        if account is not None and account != tenant:
            report(f"{what} '{resource.name}' admits {principal} of account {account} ({prop}), {_not_tenant(tenant)}")


@dataclass
class _Run:
    """What every check of one resource needs."""

    tenant: str | None
    operator: str | None
    report: Report
    pending: Pending
    tgws: Mapping[str, str | None]
    services: Mapping[str, str | None]
    inventory: Inventory


Check = Callable[[PolicyResource, _Run], None]


def _checks() -> dict[str, list[Check]]:
    """Type token -> the checks that read it (besides RAM, which refuses any type of its module)."""
    checks: dict[str, list[Check]] = {}

    def add(types: Iterable[str], check: Check) -> None:
        for type_ in types:
            checks.setdefault(type_, []).append(check)

    def peering(prop: str, what: str) -> Check:
        return lambda r, run: _check_peering(r, prop, what, run.tenant, run.report, run.pending)

    def policy(prop: str) -> Check:
        return lambda r, run: _check_policy(r, prop, run.tenant, run.operator, run.report, run.pending)

    def shared(what: str) -> Check:
        return lambda r, run: _check_accounts(r, what, "sharedAccounts", run.tenant, run.report, run.pending)

    for kind, (prop, what) in PEERINGS.items():
        add([kind], peering(prop, what))
    for kind, prop in POLICY_PROPS.items():
        add([kind], policy(prop))
    for kind, what in SNAPSHOT_SHARES.items():
        add([kind], shared(what))
    add(ACCEPTERS, lambda r, run: _check_accepter(r, run.tenant, run.report))
    add(TGW_USERS, lambda r, run: _check_transit_gateway(r, run.tgws, run.report))
    add([TGW_VPC_ACCEPTER], lambda r, run: run.report(
        f"transit gateway VPC attachment accepter '{r.name}' attaches another account's VPC to this account's transit "
        f"gateway; a tenant accepts no connection from another account"))
    add([KMS_GRANT], lambda r, run: _check_grant(r, run.tenant, run.report, run.pending))
    add([VOLUME_PERMISSION], lambda r, run: _check_accounts(r, "EBS snapshot create-volume permission", "accountId",
                                                            run.tenant, run.report, run.pending))
    add([LAUNCH_PERMISSION], lambda r, run: _check_launch_permission(r, run.tenant, run.report, run.pending))
    add([BACKUP_PLAN], lambda r, run: _check_backup_copies(r, run.tenant, run.report, run.pending))
    add([BUCKET_REPLICATION], lambda r, run: _check_bucket_replication(r, run.inventory, run.tenant, run.report,
                                                                       run.pending))
    add([REGISTRY_REPLICATION], lambda r, run: _check_registry_replication(r, run.tenant, run.report, run.pending))
    add([SUBSCRIPTION], lambda r, run: _check_subscription(r, run.tenant, run.report, run.pending))
    add([VPC_ENDPOINT], lambda r, run: _check_endpoint(r, run.services, run.report))
    add([ENDPOINT_SERVICE], lambda r, run: _check_principal_list(r, "allowedPrincipals", "VPC endpoint service",
                                                                 run.tenant, run.report, run.pending))
    add([ENDPOINT_PRINCIPAL], lambda r, run: _check_principal_list(r, "principalArn", "VPC endpoint service "
                                                                   "permission", run.tenant, run.report, run.pending))
    return checks


CHECKS = _checks()


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """RAM anything; connections, grants, snapshot/image shares, replications, subscriptions, endpoints and backup
    copies to other accounts; wildcard or foreign principals in resource and trust policies."""
    config = config_of(args)
    operator = str(config["operatorAccountId"]) if config.get("operatorAccountId") else None
    pending = Pending()
    index = Index.of(args.resources)
    tgws = {r.urn: known_str(r.props, "id") for r in index.of_type(TRANSIT_GATEWAY)}
    services = {r.urn: known_str(r.props, "serviceName") for r in index.of_type(ENDPOINT_SERVICE)}
    inventory = Inventory.of(index)
    for resource in index.resources:
        kind = resource.resource_type
        if kind.startswith(RAM_PREFIX):
            report_violation(f"{kind} '{resource.name}': AWS RAM shares resources across accounts; a tenant account "
                             f"shares nothing", resource.urn)
            continue
        checks = CHECKS.get(kind)
        if not checks:
            continue
        provider = resource.provider
        tenant = tenant_account(config, provider.props if provider is not None else None)

        def report(message: str, urn: str = resource.urn) -> None:
            report_violation(message, urn)

        run = _Run(tenant, operator, report, pending, tgws, services, inventory)
        for one in checks:
            one(resource, run)
    pending.settle()


RULE = Rule(
    id="no-cross-tenant-sharing", severity="critical", unwaivable=True, check=check,
    description="Nothing is shared with another account: no RAM share, cross-account peering, foreign transit "
                "gateway or endpoint service, KMS grant, snapshot or image share, replication, subscription, backup "
                "copy, or wildcard/foreign principal in a resource policy.",
    anchors=("FSBP KMS.5", "FSBP EC2.23", "NAG ECR1", "CKV_AWS_32", "CKV_AWS_33", "CKV_AWS_60", "CKV_AWS_61",
             "CKV_AWS_331"),
    iso27001=("A.5.15", "A.8.3", "A.8.22"), ccm=("IAM-16", "IVS-06"),
    remediation=(
        "Remove RAM shares, cross-account peerings and attachments to transit gateways the stack does not declare, "
        "KMS grants to other accounts' principals, shared_accounts of snapshots, create-volume and launch "
        "permissions, replications, subscriptions and endpoints to other accounts, and copy actions to other "
        "accounts' vaults; in resource and trust policies "
        "name only service principals or principals of the tenant account, and pin any '*' principal with a "
        "condition on aws:PrincipalAccount/aws:SourceAccount/aws:SourceOwner equal to the tenant account. The "
        "operator's identity account (operatorAccountId) belongs in role trust policies only."
    ),
    config={
        "accountId": account_config(
            "The tenant account; defaults to the account the resource's provider is pinned to."
        ),
        "operatorAccountId": account_config(
            "The operator's identity account (account stacks): admitted as an AWS principal of "
            "IAM role trust policies only; unset, it is a foreign account like any other."
        ),
    },
)
