"""The provider's replacement rules: which input changes make `pulumi up` replace a resource (`FORCE_NEW`)."""

from __future__ import annotations

# Properties (Pulumi names) whose change forces replacement, per type token the program declares. pulumi-aws is
# bridged from the Terraform AWS provider and asks its diff, so the source is the Terraform schema: attributes
# with `ForceNew: true` (SDK resources) or a `RequiresReplace` plan modifier (framework resources), as listed
# with "Forces new resource" in registry.terraform.io/providers/hashicorp/aws/latest/docs. Pulumi renames some
# (`alarm_name` -> `name`, `topic_arn` -> `topic`, blocks become plurals: `encryption_configuration` ->
# `encryptionConfigurations`). A nested force-new attribute is listed by its top-level block (ECS service
# `deployment_controller.type` -> `deploymentController`). Every regional `aws:` type also has the per-resource
# `region` argument of pulumi-aws 7 (Terraform AWS 6), which moves a resource to another region: replacement.
# tests/connectctl/test_diff.py fails when a type of any stack's plan has no entry here, or when an entry names a
# property the installed SDK's input schema (connectctl/engine/provider_schema.py) does not have. The SDK's
# docstrings do not say which inputs force replacement, so each entry comes from the Terraform source.
FORCE_NEW: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    # Application Auto Scaling: a target or policy is keyed by what it scales.
    "aws:appautoscaling/policy:Policy": {"name", "resourceId", "scalableDimension", "serviceNamespace"},
    "aws:appautoscaling/target:Target": {"resourceId", "scalableDimension", "serviceNamespace"},
    # AWS Backup: selections and vault lock configurations have no update at all.
    "aws:backup/plan:Plan": {"name"},
    "aws:backup/selection:Selection": {"name", "planId", "iamRoleArn", "selectionTags", "resources",
                                       "notResources", "conditions"},
    "aws:backup/vault:Vault": {"name", "kmsKeyArn"},
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": {"backupVaultName", "changeableForDays",
                                                                 "maxRetentionDays", "minRetentionDays"},
    "aws:backup/vaultPolicy:VaultPolicy": {"backupVaultName"},
    # CloudTrail: a trail keeps its name (everything else, bucket and key included, changes in place).
    "aws:cloudtrail/trail:Trail": {"name"},
    # CloudWatch and EventBridge.
    "aws:cloudwatch/dashboard:Dashboard": {"dashboardName"},
    "aws:cloudwatch/eventRule:EventRule": {"name", "namePrefix", "eventBusName"},
    "aws:cloudwatch/eventTarget:EventTarget": {"rule", "targetId", "eventBusName"},
    "aws:cloudwatch/logGroup:LogGroup": {"name", "namePrefix", "logGroupClass"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"name"},
    # EC2 networking.
    "aws:ec2/customerGateway:CustomerGateway": {"bgpAsn", "bgpAsnExtended", "ipAddress", "type", "deviceName",
                                                "certificateArn"},
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {"vpcId"},
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": {"defaultNetworkAclId"},
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": {"name", "namePrefix", "family", "description"},
    "aws:s3/bucketLogging:BucketLogging": {"bucket", "expectedBucketOwner"},
    "aws:ec2/networkAcl:NetworkAcl": {"vpcId"},  # inline entries and subnetIds change in place
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": {"networkAclId", "subnetId"},  # no update at all
    "aws:ec2/eip:Eip": {"domain", "address", "customerOwnedIpv4Pool", "networkBorderGroup",
                        "publicIpv4Pool", "ipamPoolId"},
    "aws:ec2/flowLog:FlowLog": {"vpcId", "subnetId", "eniId", "transitGatewayId", "transitGatewayAttachmentId",
                                "iamRoleArn", "deliverCrossAccountRole", "logDestination", "logDestinationType",
                                "logFormat", "maxAggregationInterval", "trafficType", "destinationOptions"},
    "aws:ec2/internetGateway:InternetGateway": set(),  # vpcId: detached and attached in place
    "aws:ec2/natGateway:NatGateway": {"allocationId", "subnetId", "connectivityType", "privateIp"},
    "aws:ec2/route:Route": {"routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock",
                            "destinationPrefixListId"},
    "aws:ec2/routeTable:RouteTable": {"vpcId"},
    "aws:ec2/routeTableAssociation:RouteTableAssociation": {"subnetId", "gatewayId"},  # routeTableId: in place
    "aws:ec2/securityGroup:SecurityGroup": {"name", "namePrefix", "description", "vpcId"},
    "aws:ec2/subnet:Subnet": {"vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn",
                              "ipv4IpamPoolId"},
    "aws:ec2/vpc:Vpc": {"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
    "aws:ec2/vpcEndpoint:VpcEndpoint": {"vpcId", "serviceName", "vpcEndpointType", "serviceRegion",
                                        "resourceConfigurationArn", "serviceNetworkArn"},
    # Tunnel options (keys, crypto, logging) and the gateways are modified in place; inside CIDRs are not.
    "aws:ec2/vpnConnection:VpnConnection": {"type", "staticRoutesOnly", "enableAcceleration",
                                            "tunnelInsideIpVersion", "tunnel1InsideCidr", "tunnel2InsideCidr",
                                            "tunnel1InsideIpv6Cidr", "tunnel2InsideIpv6Cidr",
                                            "presharedKeyStorage", "transportTransitGatewayAttachmentId"},
    "aws:ec2/vpnConnectionRoute:VpnConnectionRoute": {"destinationCidrBlock", "vpnConnectionId"},
    "aws:ec2/vpnGateway:VpnGateway": {"amazonSideAsn", "availabilityZone"},  # vpcId: detached and attached
    "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation": {"routeTableId", "vpnGatewayId"},
    # ECR.
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": {"repository", "policy"},  # no update: a new policy replaces
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": set(),
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": set(),
    "aws:ecr/repository:Repository": {"name", "encryptionConfigurations"},
    "aws:ecr/repositoryPolicy:RepositoryPolicy": {"repository"},
    # ECS: a task definition revision is immutable; a service keeps its name, cluster and launch type.
    "aws:ecs/cluster:Cluster": {"name"},
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": {"clusterName"},
    "aws:ecs/service:Service": {"name", "cluster", "iamRole", "launchType", "schedulingStrategy",
                                "deploymentController"},
    "aws:ecs/taskDefinition:TaskDefinition": {"family", "containerDefinitions", "cpu", "memory", "networkMode",
                                              "requiresCompatibilities", "runtimePlatform", "executionRoleArn",
                                              "taskRoleArn", "volumes", "placementConstraints",
                                              "proxyConfiguration", "ephemeralStorage", "ipcMode", "pidMode",
                                              "enableFaultInjection"},
    # EFS.
    "aws:efs/accessPoint:AccessPoint": {"fileSystemId", "posixUser", "rootDirectory"},
    "aws:efs/fileSystem:FileSystem": {"creationToken", "encrypted", "kmsKeyId", "performanceMode",
                                      "availabilityZoneName"},
    "aws:efs/mountTarget:MountTarget": {"fileSystemId", "subnetId", "ipAddress", "ipAddressType", "ipv6Address"},
    "aws:efs/replicationConfiguration:ReplicationConfiguration": {"sourceFileSystemId", "destination"},
    # IAM (global: no region).
    "aws:iam/role:Role": {"name", "namePrefix", "path"},
    "aws:iam/policy:Policy": {"name", "namePrefix", "path", "description"},
    "aws:iam/rolePolicy:RolePolicy": {"name", "namePrefix", "role"},
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"role", "policyArn"},
    "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive": {"roleName"},
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": {"roleName"},
    # KMS: the key material's kind is fixed; description, policy and rotation change in place.
    "aws:kms/alias:Alias": {"name", "namePrefix"},
    "aws:kms/key:Key": {"customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"},
    # Elastic Load Balancing (application load balancers: subnets and security groups change in place).
    "aws:lb/listener:Listener": {"loadBalancerArn"},
    "aws:lb/listenerRule:ListenerRule": {"listenerArn"},
    "aws:lb/loadBalancer:LoadBalancer": {"name", "namePrefix", "internal", "loadBalancerType",
                                         "customerOwnedIpv4Pool"},
    "aws:lb/targetGroup:TargetGroup": {"name", "namePrefix", "port", "protocol", "protocolVersion", "targetType",
                                       "vpcId", "ipAddressType"},
    # RDS: identity, engine, network placement and encryption are fixed at creation.
    "aws:rds/cluster:Cluster": {"clusterIdentifier", "clusterIdentifierPrefix", "databaseName",
                                "dbSubnetGroupName", "engine", "engineMode", "kmsKeyId", "masterUsername",
                                "storageEncrypted", "availabilityZones", "snapshotIdentifier",
                                "restoreToPointInTime", "s3Import", "sourceRegion"},
    "aws:rds/clusterInstance:ClusterInstance": {"identifier", "identifierPrefix", "clusterIdentifier", "engine",
                                                "dbSubnetGroupName", "availabilityZone",
                                                "customIamInstanceProfile"},
    "aws:rds/subnetGroup:SubnetGroup": {"name", "namePrefix"},
    # Route 53 (internal/service/route53/{zone,record,health_check}.go, route53resolver/endpoint.go). The zone,
    # its records and health checks are global (`REGIONLESS`); a Resolver endpoint is regional.
    "aws:route53/healthCheck:HealthCheck": {"type", "referenceName", "measureLatency", "requestInterval",
                                            "routingControlArn"},  # alarm, children, threshold: UpdateHealthCheck
    # `type` and `setIdentifier` change in place: the provider deletes the old set and creates the new one in one
    # ChangeResourceRecordSets batch; aliases, routing policy and health check are an UPSERT.
    "aws:route53/record:Record": {"name", "zoneId"},
    "aws:route53/resolverEndpoint:ResolverEndpoint": {"direction", "securityGroupIds"},  # addresses: in place
    "aws:route53/zone:Zone": {"name", "delegationSetId"},  # VPCs are associated and disassociated in place
    # S3: every bucket configuration resource is keyed by its bucket.
    "aws:s3/bucket:Bucket": {"bucket", "bucketPrefix", "objectLockEnabled"},
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {"bucket", "expectedBucketOwner"},
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {"bucket"},
    "aws:s3/bucketPolicy:BucketPolicy": {"bucket"},
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {"bucket"},
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": {"bucket"},
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "bucket", "expectedBucketOwner"},
    "aws:s3/bucketVersioning:BucketVersioning": {"bucket", "expectedBucketOwner"},
    # SNS and SSM.
    "aws:sns/topic:Topic": {"name", "namePrefix", "fifoTopic"},
    "aws:sns/topicPolicy:TopicPolicy": {"arn"},
    "aws:sns/topicSubscription:TopicSubscription": {"topic", "protocol", "endpoint"},
    "aws:ssm/parameter:Parameter": {"name", "dataType"},
    # VPC security group rules (framework resources): a rule belongs to one group.
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"securityGroupId"},
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"securityGroupId"},
    # Not AWS resources. The provider: pulumi-aws replaces it when its region changes (pulumi/pulumi-aws#4000),
    # and the engine then replaces everything it manages. A stack reference is re-read under a new name.
    "pulumi:providers:aws": {"region"},
    "pulumi:pulumi:Stack": set(),
    "pulumi:pulumi:StackReference": {"name"},
    # Our components: no provider, so no input forces replacement (their URN changes make delete + create).
    "connect:access:AccountAccess": set(),
    "connect:audit:AuditTrail": set(),
    "connect:data:DataStores": set(),
    "connect:dns:ServiceNames": set(),
    "connect:dr:DisasterRecovery": set(),
    "connect:network:TenantNetwork": set(),
    "connect:observability:AlertsTopic": set(),
    "connect:observability:Observability": set(),
    "connect:platform:ContainerPlatform": set(),
    "connect:registry:AccountRegistry": set(),
    "connect:security:EnvironmentKey": set(),
    "connect:vpn:SiteToSiteVpn": set(),
}.items()}
# Global services: no per-resource region argument (the provider schema has no `region` input for them).
REGIONLESS = ("aws:iam/", "aws:route53/zone:", "aws:route53/record:", "aws:route53/healthCheck:")

# Properties the provider changes in place but AWS cannot move to another VPC: when what they depend on is
# replaced because its VPC is (the CIDR changed), the resource is replaced. RDS: a DB subnet group in use only
# takes subnets of its own VPC ("The new Subnets are not in the same Vpc as the existing subnet group"; an Aurora
# cluster is moved by restoring it elsewhere). Elastic Load Balancing: a load balancer's subnets and security
# groups stay in the VPC it was created in.
VPC_BOUND: dict[str, frozenset[str]] = {
    "aws:rds/subnetGroup:SubnetGroup": frozenset({"subnetIds"}),
    "aws:lb/loadBalancer:LoadBalancer": frozenset({"subnets", "securityGroups", "subnetMappings"}),
}
VPC_TYPE = "aws:ec2/vpc:Vpc"


def force_new(type_: str) -> frozenset[str] | None:
    """The properties that force replacement of a type, or None for a type the table does not know."""
    table = FORCE_NEW.get(type_)
    if table is None:
        return None
    if type_.startswith("aws:") and not type_.startswith(REGIONLESS):
        return table | {"region"}
    return table
