"""`AccountAccess`: the platform team's roles in a client account, and the alarm on break-glass use.

Four roles, each trusted by exactly one principal of the operator's identity account
(`connect:access`), each with the same maximum session:
- `connect-sre-readonly`, `connect-sre-operator`, `connect-breakglass`: people. The operator account
  (its root: whoever the operator's own IAM lets assume them) with MFA present and at most an hour
  old. Read-only; day-to-day operations with IAM and KMS administration and audit tampering denied;
  full access (AdministratorAccess), every use alarmed.
- `connect-deployer`: what `pulumi up` needs, trusted by the operator's CI role ARN exactly, no MFA
  (a pipeline has none). Broad rights on the services the program declares, never IAM users or
  administrator policies (only the break-glass role may hold AdministratorAccess), never the
  deletion of what the stacks retain (keys, buckets, repositories, log groups, the trail...).

Each role's managed and inline policies are exclusive (`RolePolicyAttachmentsExclusive`,
`RolePoliciesExclusive`): a policy attached or written out of band is removed at the next
`pulumi up`, the classic way to keep access after an incident.

Break-glass alarm: EventBridge rules on the default bus match CloudTrail's record of an
`AssumeRole` of `connect-breakglass` and any change made by a break-glass session, and publish a
readable message to the account's alerts topic. CloudTrail delivers an event to EventBridge in the
region where the call was made: calls to STS's global endpoint and to IAM (a global service) land in
us-east-1, so when the stack's region is another one the same rules run in us-east-1 too and forward
what they match to the stack region's default bus, where the alarm rules publish it (one topic, one
set of subscribers). No rule runs in a third region: an `AssumeRole` through its regional STS endpoint,
or changes made there, page only once the session changes something in the stack region or us-east-1
(IAM included). The README says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import StackConfig

READONLY, OPERATOR, BREAKGLASS, DEPLOYER = "connect-sre-readonly", "connect-sre-operator", "connect-breakglass", \
    "connect-deployer"
PEOPLE = (READONLY, OPERATOR, BREAKGLASS)
ROLES = (*PEOPLE, DEPLOYER)
READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess"
SUPPORT_ACCESS = "arn:aws:iam::aws:policy/AWSSupportAccess"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
IAM_FULL_ACCESS = "arn:aws:iam::aws:policy/IAMFullAccess"
MFA_MAX_AGE_SECONDS = 3600  # the MFA sign-in a person assumes a role with is at most an hour old
GLOBAL_EVENTS_REGION = "us-east-1"  # where CloudTrail records STS global-endpoint and IAM calls
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"  # read-only calls too (AssumeRole is one)

# IAM service prefixes `connect-deployer` may use on every resource: the services whose resources the program
# declares (tests/components/test_access.py maps every type of every stack's plan to one of them).
DEPLOYER_SERVICES = (
    "application-autoscaling",  # ECS service scaling targets and policies
    "backup", "backup-storage",  # plans, vaults (backup-storage: vault creation), selections, vault locks
    "cloudtrail",  # the account trail
    "cloudwatch",  # alarms, dashboards
    "ec2",  # VPC, subnets, routes, NAT, EIPs, security groups and rules, endpoints, flow logs, VPN
    "ecr",  # repositories, registry scanning and replication
    "ecs",  # clusters, task definitions, services
    "elasticfilesystem",  # file systems, mount targets, access points, replication
    "elasticloadbalancing",  # the internal load balancer, listeners, rules, target groups
    "events",  # EventBridge rules and targets
    "kms",  # keys and aliases (deletion denied below)
    "logs",  # log groups (deletion denied below)
    "rds",  # Aurora clusters, instances, subnet groups
    "s3",  # buckets and their configuration (bucket deletion denied below)
    "sns",  # alerts topics, policies, subscriptions
)
# Services the roles the program creates are passed to (iam:PassedToService of the deployer's PassRole).
PASSED_TO = ("backup.amazonaws.com", "cloudtrail.amazonaws.com", "ecs-tasks.amazonaws.com",
             "events.amazonaws.com", "s3.amazonaws.com", "vpc-flow-logs.amazonaws.com")
# Calls `pulumi up` never makes on what the stacks protect or retain, so the deployer may never make them.
NEVER_DESTROYED = (
    "backup:DeleteBackupVault", "backup:DeleteRecoveryPoint", "cloudtrail:DeleteTrail", "cloudtrail:StopLogging",
    "ec2:ReleaseAddress", "ecr:DeleteRepository", "elasticfilesystem:DeleteFileSystem", "kms:DisableKey",
    "kms:ScheduleKeyDeletion", "logs:DeleteLogGroup", "rds:DeleteDBCluster", "s3:DeleteBucket",
)
IAM_ADMINISTRATION = tuple(f"iam:{verb}*" for verb in (
    "Add", "Attach", "Change", "Create", "Deactivate", "Delete", "Detach", "Enable", "Put", "Remove", "Reset",
    "Resync", "Set", "Tag", "Untag", "Update", "Upload"))
KMS_ADMINISTRATION = ("kms:Cancel*", "kms:Connect*", "kms:Create*", "kms:Delete*", "kms:Disable*",
                      "kms:Disconnect*", "kms:Enable*", "kms:ImportKeyMaterial", "kms:PutKeyPolicy",
                      "kms:ReplicateKey", "kms:Retire*", "kms:Revoke*", "kms:RotateKeyOnDemand",
                      "kms:ScheduleKeyDeletion", "kms:Tag*", "kms:Untag*", "kms:Update*")
AUDIT_TAMPERING = ("cloudtrail:Delete*", "cloudtrail:Put*", "cloudtrail:Remove*", "cloudtrail:StopLogging",
                   "cloudtrail:Update*", "events:DeleteRule", "events:DisableRule", "events:PutRule",
                   "events:PutTargets", "events:RemoveTargets")


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def role_arn(account_id: str, name: str) -> str:
    """A role's ARN from its name (path `/`): known in preview, so patterns and policies are readable."""
    return f"arn:aws:iam::{account_id}:role/{name}"


def people_trust(operator_account_id: str) -> str:
    """People: any principal of the operator account its own IAM lets assume the role, with a recent MFA."""
    return _document({
        "Sid": "OperatorPeopleWithMfa",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{operator_account_id}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "NumericLessThan": {"aws:MultiFactorAuthAge": str(MFA_MAX_AGE_SECONDS)},
        },
    })


def deployer_trust(ci_role_arn: str) -> str:
    """The pipeline: the operator's CI role, exactly; no MFA (machines have none)."""
    return _document({
        "Sid": "OperatorCiRoleOnly",
        "Effect": "Allow",
        "Principal": {"AWS": ci_role_arn},
        "Action": "sts:AssumeRole",
    })


def rule_names(name_prefix: str) -> dict[str, str]:
    """Rule key -> physical name of the break-glass rules (the alerts topic admits exactly these)."""
    return {"breakglass-assumed": f"{name_prefix}-breakglass-assumed",
            "breakglass-activity": f"{name_prefix}-breakglass-activity"}


def operator_policy(account_id: str, name_prefix: str) -> str:
    """Day-to-day operations on top of ReadOnlyAccess; IAM, KMS administration and audit tampering denied.

    The denies hold whatever is attached later: an explicit Deny wins over any Allow.
    """
    rules = [f"arn:aws:events:*:{account_id}:rule/{name}" for name in rule_names(name_prefix).values()]
    return _document(
        {"Sid": "RollServicesAndStopTasks", "Effect": "Allow", "Action": ["ecs:UpdateService", "ecs:StopTask"],
         "Resource": [f"arn:aws:ecs:*:{account_id}:service/*", f"arn:aws:ecs:*:{account_id}:task/*"]},
        {"Sid": "ChangeScalingBounds", "Effect": "Allow", "Action": "application-autoscaling:RegisterScalableTarget",
         "Resource": "*"},
        {"Sid": "DrainTargets", "Effect": "Allow",
         "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
         "Resource": f"arn:aws:elasticloadbalancing:*:{account_id}:targetgroup/*"},
        {"Sid": "SilenceAndTestAlarms", "Effect": "Allow",
         "Action": ["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions", "cloudwatch:SetAlarmState"],
         "Resource": f"arn:aws:cloudwatch:*:{account_id}:alarm:*"},
        {"Sid": "DatabaseOperations", "Effect": "Allow",
         "Action": ["rds:RebootDBInstance", "rds:FailoverDBCluster", "rds:CreateDBClusterSnapshot",
                    "rds:AddTagsToResource"],
         "Resource": f"arn:aws:rds:*:{account_id}:*"},
        {"Sid": "BackupsAndRestores", "Effect": "Allow",
         "Action": ["backup:StartBackupJob", "backup:StartCopyJob", "backup:StartRestoreJob", "backup:StopBackupJob"],
         "Resource": "*"},
        {"Sid": "PassRolesToBackupOnly", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": f"arn:aws:iam::{account_id}:role/*",
         "Condition": {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}},
        {"Sid": "RescanImages", "Effect": "Allow", "Action": "ecr:StartImageScan",
         "Resource": f"arn:aws:ecr:*:{account_id}:repository/*"},
        {"Sid": "NoIamAdministration", "Effect": "Deny", "Action": list(IAM_ADMINISTRATION), "Resource": "*"},
        {"Sid": "NoKmsAdministration", "Effect": "Deny", "Action": list(KMS_ADMINISTRATION), "Resource": "*"},
        {"Sid": "NoAuditTampering", "Effect": "Deny", "Action": [a for a in AUDIT_TAMPERING if a.startswith("cloud")],
         "Resource": "*"},
        {"Sid": "NoBreakGlassAlarmTampering", "Effect": "Deny",
         "Action": [a for a in AUDIT_TAMPERING if a.startswith("events:")], "Resource": rules},
    )


def deployer_policy(account_id: str) -> str:
    """What `pulumi up` of the account and environment stacks needs, and no more than the services it uses.

    IAM is limited to roles of the account (never users, groups or identity providers); only the
    break-glass role may get AdministratorAccess or IAMFullAccess attached; what the stacks retain is
    never deleted. Roles the program creates are auto-named, so role management spans `role/*`: a
    permissions boundary on every role would narrow it further (not yet in the program).
    """
    roles = f"arn:aws:iam::{account_id}:role/*"
    return _document(
        {"Sid": "ProvisionThePlatformServices", "Effect": "Allow",
         "Action": [f"{service}:*" for service in DEPLOYER_SERVICES], "Resource": "*"},
        {"Sid": "EnhancedScanningAndCertificates", "Effect": "Allow",
         "Action": ["inspector2:Enable", "inspector2:Disable", "inspector2:BatchGetAccountStatus",
                    "inspector2:ListAccountPermissions", "acm:DescribeCertificate", "acm:ListCertificates",
                    "tag:GetResources"],
         "Resource": "*"},
        {"Sid": "DatabaseMasterSecrets", "Effect": "Allow",
         "Action": ["secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
                    "secretsmanager:RotateSecret", "secretsmanager:TagResource"],
         "Resource": f"arn:aws:secretsmanager:*:{account_id}:secret:rds!*"},
        {"Sid": "EndpointParameters", "Effect": "Allow",
         "Action": ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:GetParameter", "ssm:GetParameters",
                    "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource", "ssm:ListTagsForResource"],
         "Resource": f"arn:aws:ssm:*:{account_id}:parameter/connect/*"},
        {"Sid": "DescribeParameters", "Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*"},
        {"Sid": "ManageRolesOfTheAccount", "Effect": "Allow",
         "Action": ["iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
                    "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
                    "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
                    "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies",
                    "iam:ListInstanceProfilesForRole"],
         "Resource": roles},
        {"Sid": "ReadPolicies", "Effect": "Allow",
         "Action": ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListPolicies",
                    "iam:ListRoles"],
         "Resource": "*"},
        {"Sid": "PassRolesToThePlatformServices", "Effect": "Allow", "Action": "iam:PassRole", "Resource": roles,
         "Condition": {"StringEquals": {"iam:PassedToService": list(PASSED_TO)}}},
        {"Sid": "ServiceLinkedRoles", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
         "Resource": f"arn:aws:iam::{account_id}:role/aws-service-role/*"},
        {"Sid": "AdministratorOnlyForBreakGlass", "Effect": "Deny", "Action": "iam:AttachRolePolicy",
         "NotResource": role_arn(account_id, BREAKGLASS),
         "Condition": {"ArnEquals": {"iam:PolicyARN": [ADMINISTRATOR_ACCESS, IAM_FULL_ACCESS]}}},
        {"Sid": "NeverDestroyWhatTheStacksRetain", "Effect": "Deny", "Action": list(NEVER_DESTROYED),
         "Resource": "*"},
    )


def breakglass_patterns(account_id: str) -> dict[str, dict[str, Any]]:
    """Rule key -> event pattern: the role assumed (read-only call: needs all management events), or a change
    made by one of its sessions (reads are left out: a console session makes hundreds)."""
    arn = role_arn(account_id, BREAKGLASS)
    return {
        "breakglass-assumed": {
            "source": ["aws.sts"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventSource": ["sts.amazonaws.com"], "eventName": ["AssumeRole"],
                       "requestParameters": {"roleArn": [arn]}},
        },
        "breakglass-activity": {
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"userIdentity": {"sessionContext": {"sessionIssuer": {"arn": [arn]}}}},
        },
    }


RULE_STATES = {"breakglass-assumed": ALL_MANAGEMENT_EVENTS, "breakglass-activity": "ENABLED"}
ALARM_INPUT_PATHS = {"event": "$.detail.eventName", "who": "$.detail.userIdentity.arn", "account": "$.account",
                     "region": "$.region", "time": "$.time", "ip": "$.detail.sourceIPAddress"}
ALARM_TEMPLATE = (f'"BREAK-GLASS: {BREAKGLASS} used in account <account> (<region>) at <time>: <event> by <who> '
                  'from <ip>. Every use must have an incident ticket."')


def forwarder_trust(account_id: str) -> str:
    """EventBridge of this account only, to forward the global region's matches."""
    return _document({"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                      "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}})


def bus_arn(account_id: str, region: str) -> str:
    """The default event bus of a region."""
    return f"arn:aws:events:{region}:{account_id}:event-bus/default"


@dataclass
class AccountAccessArgs:
    """Inputs: the validated config (with `connect:access`), the account's alerts topic, the us-east-1 provider."""

    config: StackConfig
    alerts_topic_arn: pulumi.Input[str]
    global_provider: aws.Provider | None = None  # when the stack's region is not us-east-1


class AccountAccess(pulumi.ComponentResource):
    """The four roles with exclusive policies, and the break-glass rules (with their us-east-1 forwarders)."""

    roles: dict[str, aws.iam.Role]
    rules: dict[str, aws.cloudwatch.EventRule]

    def __init__(self, name: str, args: AccountAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:access:AccountAccess", name, None, opts)
        cfg = args.config
        access = cfg.access
        assert access is not None  # validated: account stacks declare connect:access
        account = cfg.tenant.account_id
        self._name, self._cfg, self._child = name, cfg, pulumi.ResourceOptions(parent=self)
        people = people_trust(access.operator_account_id)
        self.roles = {}
        self._role(READONLY, "Platform team, read-only (MFA)", people, [READ_ONLY_ACCESS], {}, access.session_seconds)
        self._role(OPERATOR, "Platform team, day-to-day operations without IAM or KMS administration (MFA)", people,
                   [READ_ONLY_ACCESS, SUPPORT_ACCESS], {"day-to-day-operations": operator_policy(
                       account, cfg.name_prefix)}, access.session_seconds)
        self._role(BREAKGLASS, "Platform team, full access for emergencies (MFA); every use is alarmed", people,
                   [ADMINISTRATOR_ACCESS], {}, access.session_seconds)
        self._role(DEPLOYER, f"pulumi up from the operator's CI ({access.ci_role_arn})",
                   deployer_trust(access.ci_role_arn), [], {"provision-the-platform": deployer_policy(account)},
                   access.session_seconds)
        self.rules = {}
        names = rule_names(cfg.name_prefix)
        for key, pattern in breakglass_patterns(account).items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{key}", name=names[key], event_pattern=json.dumps(pattern), state=RULE_STATES[key],
                description=f"{BREAKGLASS} {'assumed' if key.endswith('assumed') else 'session made a change'}: "
                "page the platform team",
                tags={"connect:severity": "critical"}, opts=self._child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{key}-target", rule=rule.name, target_id="alerts-topic", arn=args.alerts_topic_arn,
                input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                    input_paths=ALARM_INPUT_PATHS, input_template=ALARM_TEMPLATE),
                opts=self._child,
            )
            self.rules[key] = rule
        if args.global_provider is not None and cfg.region != GLOBAL_EVENTS_REGION:
            self._forwarders(args.global_provider, names)
        self.register_outputs({"roleArns": {n: r.arn for n, r in self.roles.items()}})

    def _role(self, role_name: str, description: str, trust: str, managed: list[str], inline: dict[str, str],
              session_seconds: int) -> None:
        """One role, its inline policies, and exactly these managed and inline policies (exclusive)."""
        key = f"{self._name}-{role_name.removeprefix('connect-')}"
        role = aws.iam.Role(key, name=role_name, description=description, assume_role_policy=trust,
                            max_session_duration=session_seconds, opts=self._child)
        written = [
            aws.iam.RolePolicy(f"{key}-{policy_name}", name=policy_name, role=role.name, policy=document,
                               opts=self._child)
            for policy_name, document in sorted(inline.items())
        ]
        aws.iam.RolePolicyAttachmentsExclusive(f"{key}-managed-policies", role_name=role.name, policy_arns=managed,
                                               opts=self._child)
        aws.iam.RolePoliciesExclusive(f"{key}-inline-policies", role_name=role.name, policy_names=sorted(inline),
                                      opts=pulumi.ResourceOptions(parent=self, depends_on=written))
        self.roles[role_name] = role

    def _forwarders(self, provider: aws.Provider, names: dict[str, str]) -> None:
        """us-east-1: the same rules, forwarding to the stack region's default bus (where the alarm rules are)."""
        cfg = self._cfg
        account = cfg.tenant.account_id
        target_bus = bus_arn(account, cfg.region)
        where = pulumi.ResourceOptions(parent=self, provider=provider)
        role = aws.iam.Role(
            f"{self._name}-global-events-forwarder",
            name=f"{cfg.name_prefix}-events-to-{cfg.region}",
            description=f"EventBridge forwards break-glass events from {GLOBAL_EVENTS_REGION} to {cfg.region}",
            assume_role_policy=forwarder_trust(account), opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{self._name}-global-events-forwarder-policy", role=role.name,
            policy=_document({"Effect": "Allow", "Action": "events:PutEvents", "Resource": target_bus}),
            opts=self._child,
        )
        for key, pattern in breakglass_patterns(account).items():
            rule = aws.cloudwatch.EventRule(
                f"{self._name}-{key}-{GLOBAL_EVENTS_REGION}", name=names[key], event_pattern=json.dumps(pattern),
                state=RULE_STATES[key],
                description=f"Forwards {BREAKGLASS} events recorded in {GLOBAL_EVENTS_REGION} to {cfg.region}",
                tags={"connect:severity": "critical"}, opts=where,
            )
            aws.cloudwatch.EventTarget(
                f"{self._name}-{key}-{GLOBAL_EVENTS_REGION}-target", rule=rule.name, target_id="stack-region-bus",
                arn=target_bus, role_arn=role.arn, opts=where,
            )
