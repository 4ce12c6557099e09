"""A deployed acme-prod, seeded into a moto server the way `pulumi up` would leave it (and ways to break it).

What is seeded follows the components: the VPC and its NAT gateways with tagged egress EIPs
(`components/network.py`), flow logs of ALL traffic, the internal load balancer and the cluster
`acme-prod` with one service per stack-file entry at its base (`components/platform.py`), the VPN link
tagged `acme-prod-dc-santiago` (`components/vpn.py`), the repositories of the account stack
(`components/registry.py`) and both backup vaults (`components/dr.py`). Everything lives in the tenant
account 111111111111, reached as the audit reaches it: by assuming the stack's deploy role.

The services' secrets are not the program's (the client's SRE team makes them): the seed makes them as that
team should for a standby, each Secrets Manager secret replicated to the DR region and each SSM parameter
written in both. The stack file names secrets by complete ARN, suffix included (`payments-db-Xy7Q2m`), where
moto would draw a random suffix; moto's documented `_custom_id_` tag sets the suffix instead, so the ARN the
audit asks for is the one the stack file holds (the tag stays on the secret; the audit never reads tags).

Beside it sits acme-staging (same account and region, its own VPC and cluster) with its own public ENI,
internet-facing load balancer, public-IP service and an unscanned repository: the acme-prod audit must
judge none of them.

What moto 5.2.5 cannot hold, tunnel telemetry and recovery points, lives in the state of
tests/connectctl/moto_extensions.py, which teaches the in-process server to answer with it: every tunnel is UP
unless `tunnel_down` says otherwise, and the DR vault of an environment with data stores holds a fresh copy of
each database's daily snapshot unless `dr_vault_holding` puts other points there.

What a declared failover needs (`seed_failover_sources`) moto cannot make through its API either: AWS Backup's
copies in the DR region are cluster snapshots of type `awsbackup`, and the stack file names its certificates by
ARN. Both are put in moto's own backends, which live in this process: a snapshot made of a short-lived cluster and
retyped, a self-signed certificate (covering `*.<zone>`) imported and moved to the stack file's ARN.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from moto.utilities.id_generator import TAG_KEY_CUSTOM_ID

from components import clock
from components.config import StackConfig
from tests.connectctl.moto_extensions import MotoExtensions

ACCOUNT = "111111111111"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/connect-deployer"
REGION, DR_REGION = "us-east-1", "us-west-2"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAAUDITTESTS000000", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret"}
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def tenant_session(endpoint: str) -> boto3.Session:
    """A session in the tenant account, by assuming the deploy role with fake base credentials."""
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint,
                       aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    credentials = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="moto-seed")["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name=REGION)


def aws(session: boto3.Session, endpoint: str, service: str, region: str = REGION) -> Any:
    """A client on the moto server (untyped: the seed writes plain dicts, as a test fixture may)."""
    return session.client(service, region_name=region, endpoint_url=endpoint)  # type: ignore[call-overload]


def _tags(client: str, environment: str, name: str | None = None) -> list[dict[str, str]]:
    tags = [{"Key": "connect:client", "Value": client}, {"Key": "connect:environment", "Value": environment},
            {"Key": "connect:managed-by", "Value": "connect"}]
    return tags + ([{"Key": "Name", "Value": name}] if name else [])


def _spec(resource_type: str, tags: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tags}]


def vault_arn(region: str, vault: str) -> str:
    return f"arn:aws:backup:{region}:{ACCOUNT}:backup-vault:{vault}"


def dr_copy(prefix: str, database: str, created: datetime, status: str = "COMPLETED") -> dict[str, Any]:
    """The copy in the DR vault of a database's daily snapshot, as ListRecoveryPointsByBackupVault lists it."""
    cluster = f"{prefix}-{database}"
    job = f"{created:%Y%m%d%H%M}-{status.lower()}"
    return {
        "RecoveryPointArn": f"arn:aws:rds:{DR_REGION}:{ACCOUNT}:cluster-snapshot:awsbackup:copyjob-{cluster}-{job}",
        "BackupVaultName": f"{prefix}-dr", "BackupVaultArn": vault_arn(DR_REGION, f"{prefix}-dr"),
        "SourceBackupVaultArn": vault_arn(REGION, f"{prefix}-primary"),
        "ResourceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:{cluster}", "ResourceType": "Aurora",
        "ResourceName": cluster, "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{prefix}-backup-role-5f3e2a1",
        "Status": status, "CreationDate": created, "InitiationDate": created,
        "CompletionDate": created + timedelta(minutes=20), "BackupSizeInBytes": 1_073_741_824,
        "IsEncrypted": True, "EncryptionKeyArn": f"arn:aws:kms:{DR_REGION}:{ACCOUNT}:key/{prefix}-dr",
        "Lifecycle": {"DeleteAfterDays": 35}, "VaultType": "BACKUP_VAULT",
    }


@dataclass
class Environment:
    """What was seeded for one environment: the ids tests need to break it, check it, or write outputs."""

    prefix: str
    vpc_id: str
    subnets: dict[str, dict[str, str]]  # tier -> zone -> subnet id
    security_group: str
    egress_ips: list[str]
    nat_ids: list[str]
    flow_log_ids: list[str]
    load_balancer_arn: str
    cluster: str
    task_definition: str
    vpn_connections: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # variable -> ARN, as the stack file names them
    restore_copies: dict[str, str] = field(default_factory=dict)  # database -> ARN of its newest copy in DR_REGION

    def outputs(self, client: str, environment: str) -> dict[str, Any]:
        """The stack outputs `pulumi stack output --json` would print for what was seeded (the parts audited)."""
        return {
            "client": client, "environment": environment, "scope": "environment", "region": REGION,
            "drRegion": DR_REGION, "vpcId": self.vpc_id, "egressIps": list(self.egress_ips),
            "clusterName": self.cluster, "vpnDeviceConfigurations": "[secret]",
            "vpnConnections": {name: {"vpnConnectionId": vpn_id, "customerGatewayId": "cgw-0", "tunnelOutsideIps": []}
                               for name, vpn_id in self.vpn_connections.items()},
            "backupVaultArns": {"primary": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{self.prefix}-primary",
                                "dr": f"arn:aws:backup:{DR_REGION}:{ACCOUNT}:backup-vault:{self.prefix}-dr"},
        }


def seed_environment(session: boto3.Session, endpoint: str, extensions: MotoExtensions, cfg: StackConfig,
                     zones: tuple[str, ...], *, public_ip_services: tuple[str, ...] = ()) -> Environment:
    """The environment a compliant `pulumi up` of `cfg` leaves behind (the resources the audit reads), with its
    DR vault holding a copy, two hours old, of each database's last daily snapshot."""
    client, environment, prefix = cfg.tenant.client, cfg.tenant.environment_name, cfg.name_prefix
    tags = _tags(client, environment)
    ec2 = aws(session, endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock=cfg.net.cidr, TagSpecifications=_spec("vpc", _tags(client, environment, prefix)))
    vpc_id = vpc["Vpc"]["VpcId"]
    base = cfg.net.network.network_address.packed
    subnets: dict[str, dict[str, str]] = {"app": {}, "ingress": {}}
    for slot, zone in enumerate(zones):
        for tier, offset, size in (("app", 0, 20), ("ingress", 24, 22)):
            cidr = f"{base[0]}.{base[1]}.{slot * 32 + offset}.0/{size}"
            subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone,
                                       TagSpecifications=_spec("subnet", [*tags, {"Key": "connect:tier",
                                                                                  "Value": tier}]))
            subnets[tier][zone] = subnet["Subnet"]["SubnetId"]
    close_default_acl(ec2, vpc_id, {tier: list(by_zone.values()) for tier, by_zone in subnets.items()}, tags)
    igw = ec2.create_internet_gateway(TagSpecifications=_spec("internet-gateway", tags))["InternetGateway"]
    ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc_id)
    nat_zones = zones if cfg.net.nat_gateways == "perAz" else zones[:1]
    egress_ips, nat_ids = [], []
    for slot, zone in enumerate(nat_zones):
        # A public address, as AWS gives (moto would draw one from 127.0.0.0/8, which no promise may hold).
        public = f"3.{cfg.net.network.network_address.packed[1]}.{slot}.10"
        eip = ec2.allocate_address(Domain="vpc", Address=public, TagSpecifications=_spec(
            "elastic-ip", _tags(client, environment, f"{prefix}-egress-{zone}")))
        nat = ec2.create_nat_gateway(SubnetId=subnets["ingress"][zone], AllocationId=eip["AllocationId"],
                                     TagSpecifications=_spec("natgateway", tags))["NatGateway"]
        egress_ips.append(eip["PublicIp"])
        nat_ids.append(nat["NatGatewayId"])
    logs = aws(session, endpoint, "logs")
    group = f"/connect/{prefix}/vpc-flow-logs"
    logs.create_log_group(logGroupName=group)
    flow_logs = ec2.create_flow_logs(
        ResourceIds=[vpc_id], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
        LogGroupName=group, DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/{prefix}-flow-logs",
        MaxAggregationInterval=60, TagSpecifications=_spec("vpc-flow-log", tags))["FlowLogIds"]
    sg = seed_security_groups(ec2, prefix, vpc_id, tags)["network-sg-app"]
    app_subnets = list(subnets["app"].values())
    elbv2 = aws(session, endpoint, "elbv2")
    balancer = elbv2.create_load_balancer(
        Name=f"{prefix}-internal", Subnets=app_subnets, SecurityGroups=[sg], Scheme="internal", Type="application",
        Tags=[*tags, {"Key": "Name", "Value": f"{prefix}-internal"}])["LoadBalancers"][0]
    ecs = aws(session, endpoint, "ecs")
    ecs.create_cluster(clusterName=prefix, tags=[{"key": t["Key"], "value": t["Value"]} for t in tags])
    task_definition = ""
    for service in cfg.services:
        task_definition = ecs.register_task_definition(
            family=f"{prefix}-{service.name}", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu=str(service.cpu), memory=str(service.memory),
            containerDefinitions=[{"name": service.name, "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/"
                                   f"{service.image.repository}:1", "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]
        public = "ENABLED" if service.name in public_ip_services else "DISABLED"
        ecs.create_service(cluster=prefix, serviceName=service.name, taskDefinition=task_definition,
                           desiredCount=service.capacity.base, launchType="FARGATE",
                           networkConfiguration={"awsvpcConfiguration": {
                               "subnets": app_subnets, "securityGroups": [sg], "assignPublicIp": public}})
        # moto starts services with every task pending; an update of the desired count makes them run.
        ecs.update_service(cluster=prefix, service=service.name, desiredCount=service.capacity.base)
    seeded = Environment(prefix, vpc_id, subnets, sg, egress_ips, nat_ids, flow_logs, balancer["LoadBalancerArn"],
                         prefix, task_definition)
    if cfg.vpn and cfg.vpn.connections:
        gateway = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=cfg.vpn.amazon_side_asn,
                                         TagSpecifications=_spec("vpn-gateway", tags))["VpnGateway"]
        ec2.attach_vpn_gateway(VpcId=vpc_id, VpnGatewayId=gateway["VpnGatewayId"])
        for link in cfg.vpn.connections:
            customer = ec2.create_customer_gateway(Type="ipsec.1", PublicIp=link.peer_ip, BgpAsn=link.bgp_asn,
                                                   TagSpecifications=_spec("customer-gateway", tags))
            connection = ec2.create_vpn_connection(
                Type="ipsec.1", CustomerGatewayId=customer["CustomerGateway"]["CustomerGatewayId"],
                VpnGatewayId=gateway["VpnGatewayId"],
                TagSpecifications=_spec("vpn-connection", _tags(client, environment, f"{prefix}-{link.name}")))
            seeded.vpn_connections[link.name] = connection["VpnConnection"]["VpnConnectionId"]
    for region, which in ((REGION, "primary"), (DR_REGION, "dr")):
        aws(session, endpoint, "backup", region).create_backup_vault(
            BackupVaultName=f"{prefix}-{which}", BackupVaultTags={t["Key"]: t["Value"] for t in tags})
    copied = clock.now().replace(microsecond=0) - timedelta(hours=2)
    for database in cfg.data.databases:
        extensions.recovery_points.add(ACCOUNT, DR_REGION, f"{prefix}-dr", dr_copy(prefix, database.name, copied))
    seed_failover_sources(session, endpoint, cfg, seeded, copied)
    for service in cfg.services:
        for variable, arn in service.secrets.items():
            seed_secret(session, endpoint, arn, replicated=cfg.dr.standby)
            seeded.secrets[variable] = arn
    return seeded


def seed_security_groups(ec2: Any, stack: str, vpc_id: str, tags: list[dict[str, str]]) -> dict[str, str]:
    """The primary VPC's security groups and rules exactly as the stack's offline plan declares them (the audit's
    `unmanaged-resources` check holds them to that plan), auto-named as Pulumi names them; the VPC's default group
    and every new group without the egress rule AWS adds, which the provider revokes. Returns group ids by the
    plan's logical name."""
    from connectctl.audit import unmanaged
    from connectctl.plan import plan_stack

    resources = plan_stack(stack, preview=False).capture.resources
    vpc = next(str(r.outputs["id"]) for r in resources
               if r.type == unmanaged.VPC and str(r.outputs.get("arn", "")).split(":")[3] == REGION)
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                    {"Name": "group-name", "Values": ["default"]}])
    ids: dict[str, str] = {}  # the plan's group id -> the seeded one
    names: dict[str, str] = {}
    for r in resources:
        if r.type == unmanaged.DEFAULT_SG and r.inputs.get("vpcId") == vpc:
            ids[str(r.outputs["id"])] = default["SecurityGroups"][0]["GroupId"]
        elif r.type == unmanaged.SG and r.inputs.get("vpcId") == vpc:
            suffix = hashlib.sha256(r.name.encode()).hexdigest()[:7]
            group = ec2.create_security_group(GroupName=f"{r.name}-{suffix}", Description=r.inputs["description"],
                                              VpcId=vpc_id, TagSpecifications=_spec("security-group", tags))
            ids[str(r.outputs["id"])] = names[r.name] = group["GroupId"]
    for group in ids.values():
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
        egress = [r["SecurityGroupRuleId"] for r in rules["SecurityGroupRules"] if r["IsEgress"]]
        ingress = [r["SecurityGroupRuleId"] for r in rules["SecurityGroupRules"] if not r["IsEgress"]]
        if egress:
            ec2.revoke_security_group_egress(GroupId=group, SecurityGroupRuleIds=egress)
        if ingress:
            ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=ingress)
    for r in resources:
        if r.type not in unmanaged.SG_RULES or r.inputs.get("securityGroupId") not in ids:
            continue
        i = r.inputs
        permission: dict[str, Any] = {"IpProtocol": i["ipProtocol"]}
        if i["ipProtocol"] != "-1":
            permission |= {"FromPort": int(i["fromPort"]), "ToPort": int(i["toPort"])}
        if i.get("referencedSecurityGroupId"):
            permission["UserIdGroupPairs"] = [{"GroupId": ids[i["referencedSecurityGroupId"]]}]
        else:
            permission["IpRanges"] = [{"CidrIp": i["cidrIpv4"]}]
        authorize = ec2.authorize_security_group_egress if r.type.endswith("EgressRule") else \
            ec2.authorize_security_group_ingress
        authorize(GroupId=ids[i["securityGroupId"]], IpPermissions=[permission])
    return names


def close_default_acl(ec2: Any, vpc_id: str, tiers: dict[str, list[str]], tags: list[dict[str, str]]) -> None:
    """As the network component leaves it: each tier's subnets on the tier's own ACL, the default one with no
    rule and no subnet (the tier ACLs' own rules do not matter to the audit)."""
    for tier, subnet_ids in sorted(tiers.items()):
        acl = ec2.create_network_acl(VpcId=vpc_id, TagSpecifications=_spec("network-acl", [
            *tags, {"Key": "connect:tier", "Value": tier}]))["NetworkAcl"]["NetworkAclId"]
        for subnet in subnet_ids:
            current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
            association = next(a["NetworkAclAssociationId"] for a in current["NetworkAcls"][0]["Associations"]
                               if a["SubnetId"] == subnet)
            ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    default = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                 {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    for entry in default["Entries"]:
        if entry["RuleNumber"] != 32767:
            ec2.delete_network_acl_entry(NetworkAclId=default["NetworkAclId"], RuleNumber=entry["RuleNumber"],
                                         Egress=entry["Egress"])


def default_acl(seed: Seed) -> str:
    """acme-prod's default network ACL id."""
    ec2 = aws(seed.session, seed.endpoint, "ec2")
    return str(ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [seed.prod.vpc_id]},
                                                  {"Name": "default", "Values": ["true"]}])
               ["NetworkAcls"][0]["NetworkAclId"])


def seed_access(session: boto3.Session, endpoint: str, stack: str) -> dict[str, Any]:
    """The account stack's roles and trail as its `pulumi up` leaves them, read from its offline plan.

    Returns the plan's expectations (connectctl/audit/expected.py), so tests can break exactly one of them.
    """
    from connectctl.audit import expected
    from connectctl.plan import plan_stack

    resources = plan_stack(stack, preview=False).capture.resources
    iam = aws(session, endpoint, "iam")
    for r in resources:  # customer-managed policies first: roles attach them (the boundary among them)
        if r.type == expected.POLICY:
            iam.create_policy(PolicyName=r.inputs["name"], PolicyDocument=r.inputs["policy"])
    roles = expected.roles(resources)
    for role in roles.values():
        extra = {"PermissionsBoundary": role.boundary} if role.boundary else {}
        iam.create_role(RoleName=role.name, AssumeRolePolicyDocument=json.dumps(role.trust), **extra)
        for name, document in role.inline.items():
            iam.put_role_policy(RoleName=role.name, PolicyName=name, PolicyDocument=json.dumps(document))
        for policy in role.attached:
            iam.attach_role_policy(RoleName=role.name, PolicyArn=policy)
    cloudtrail, s3 = aws(session, endpoint, "cloudtrail"), aws(session, endpoint, "s3")
    for inputs in expected.trails(resources):
        s3.create_bucket(Bucket=inputs["s3BucketName"])
        cloudtrail.create_trail(Name=inputs["name"], S3BucketName=inputs["s3BucketName"],
                                IsMultiRegionTrail=bool(inputs.get("isMultiRegionTrail")),
                                EnableLogFileValidation=bool(inputs.get("enableLogFileValidation")))
        cloudtrail.start_logging(Name=inputs["name"])
        selectors = [{"Name": s.get("name", ""), "FieldSelectors": [
            {("Field" if k == "field" else k[0].upper() + k[1:]): v for k, v in f.items()}
            for f in s.get("fieldSelectors", [])]} for s in inputs.get("advancedEventSelectors") or []]
        if selectors:
            cloudtrail.put_event_selectors(TrailName=inputs["name"], AdvancedEventSelectors=selectors)
    return {"roles": roles, "trails": expected.trails(resources)}


def _secret_name(arn: str) -> tuple[str, str]:
    """A complete Secrets Manager ARN's secret name and the 6-character suffix Secrets Manager appended."""
    name, suffix = arn.split(":", 6)[6].rsplit("-", 1)
    return name, suffix


def _seeded_value(name: str) -> str:
    return f"seeded value of {name}"


def _parameter_name(arn: str) -> str:
    return "/" + arn.split(":", 5)[5].removeprefix("parameter/").lstrip("/")


def seed_secret(session: boto3.Session, endpoint: str, arn: str, *, replicated: bool) -> None:
    """A secret a service reads, at exactly `arn`, with its DR copy when the stack has a standby: a replica in
    DR_REGION (Secrets Manager) or the same parameter written there too (SSM has no replication)."""
    region = arn.split(":")[3]
    if ":secretsmanager:" in arn:
        name, suffix = _secret_name(arn)
        aws(session, endpoint, "secretsmanager", region).create_secret(
            Name=name, SecretString=_seeded_value(name), Tags=[{"Key": TAG_KEY_CUSTOM_ID, "Value": suffix}],
            AddReplicaRegions=[{"Region": DR_REGION}] if replicated else [])
        return
    for where in (region, DR_REGION) if replicated else (region,):
        aws(session, endpoint, "ssm", where).put_parameter(Name=_parameter_name(arn), Type="SecureString",
                                                           Value=_seeded_value(_parameter_name(arn)))


def seed_registry(session: boto3.Session, endpoint: str, client: str, repositories: list[str],
                  *, unscanned: tuple[str, ...] = ()) -> None:
    """The account stack's repositories (scan on push unless named in `unscanned`)."""
    ecr = aws(session, endpoint, "ecr")
    for name in repositories:
        ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE",
                              imageScanningConfiguration={"scanOnPush": name not in unscanned},
                              tags=_tags(client, "account"))


@dataclass
class Seed:
    """The seeded account: acme-prod compliant, acme-staging beside it with its own problems."""

    endpoint: str
    session: boto3.Session
    extensions: MotoExtensions
    prod: Environment
    staging: Environment


def seed_account(endpoint: str, extensions: MotoExtensions, prod: StackConfig, staging: StackConfig,
                 repositories: list[str]) -> Seed:
    """acme-account's registry, a compliant acme-prod, and a non-compliant acme-staging in the same account."""
    session = tenant_session(endpoint)
    seed_registry(session, endpoint, "acme", repositories)
    seed_registry(session, endpoint, "acme", ["legacy-batch"], unscanned=("legacy-batch",))  # not used by prod
    seed_access(session, endpoint, "acme-account")
    seeded_prod = seed_environment(session, endpoint, extensions, prod, ZONES)
    seeded_staging = seed_environment(session, endpoint, extensions, staging, ZONES[:2],
                                      public_ip_services=("payments-api",))
    ec2 = aws(session, endpoint, "ec2")
    _public_eni(ec2, seeded_staging.subnets["app"][ZONES[0]], "staging debugging box")
    aws(session, endpoint, "elbv2").create_load_balancer(
        Name="acme-staging-public", Subnets=list(seeded_staging.subnets["ingress"].values()),
        Scheme="internet-facing", Type="application", Tags=_tags("acme", "staging"))
    return Seed(endpoint, session, extensions, seeded_prod, seeded_staging)


def _public_eni(ec2: Any, subnet: str, description: str) -> tuple[str, str]:
    eni = ec2.create_network_interface(SubnetId=subnet, Description=description)["NetworkInterface"]
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni["NetworkInterfaceId"])
    return eni["NetworkInterfaceId"], eip["AllocationId"]


@dataclass
class Broken:
    """The three faults of the issue's acceptance test, by resource id (and the EIP on the hand-made interface)."""

    eni: str
    repository: str
    load_balancer: str
    allocation: str = ""


@contextmanager
def broken(seed: Seed, repository: str) -> Iterator[Broken]:
    """acme-prod with one public ENI, one repository without scan on push and one internet-facing load
    balancer; put back as it was on exit (the server is shared by the module's tests)."""
    ec2 = aws(seed.session, seed.endpoint, "ec2")
    ecr = aws(seed.session, seed.endpoint, "ecr")
    elbv2 = aws(seed.session, seed.endpoint, "elbv2")
    eni, allocation = _public_eni(ec2, seed.prod.subnets["app"][ZONES[0]], "hand-made test box")
    ecr.put_image_scanning_configuration(repositoryName=repository, imageScanningConfiguration={"scanOnPush": False})
    balancer = elbv2.create_load_balancer(Name="acme-prod-public", Subnets=list(seed.prod.subnets["ingress"].values()),
                                          Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    try:
        yield Broken(eni, repository, "acme-prod-public", allocation)
    finally:
        elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
        ecr.put_image_scanning_configuration(repositoryName=repository,
                                             imageScanningConfiguration={"scanOnPush": True})
        association = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]["AssociationId"]
        ec2.disassociate_address(AssociationId=association)
        ec2.release_address(AllocationId=allocation)
        ec2.delete_network_interface(NetworkInterfaceId=eni)


@contextmanager
def drifted(seed: Seed) -> Iterator[None]:
    """acme-prod drifted outside Pulumi in the ways the other moto-backed checks catch; put back on exit:
    a service given public IPs, a service scaled below its base, the flow log deleted and a classic
    internet-facing load balancer in the VPC."""
    ec2 = aws(seed.session, seed.endpoint, "ec2")
    ecs = aws(seed.session, seed.endpoint, "ecs")
    elb = aws(seed.session, seed.endpoint, "elb")
    prod = seed.prod

    def network(public: str) -> dict[str, Any]:
        return {"awsvpcConfiguration": {"subnets": list(prod.subnets["app"].values()),
                                        "securityGroups": [prod.security_group], "assignPublicIp": public}}

    ecs.update_service(cluster=prod.cluster, service="accounts-api", networkConfiguration=network("ENABLED"))
    ecs.update_service(cluster=prod.cluster, service="notifications-worker", desiredCount=1)
    ec2.delete_flow_logs(FlowLogIds=prod.flow_log_ids)
    # With a group of the stack: without one moto makes a group of its own, which outlives the load balancer.
    elb.create_load_balancer(LoadBalancerName="acme-prod-classic", Subnets=[prod.subnets["ingress"][ZONES[0]]],
                             Scheme="internet-facing", SecurityGroups=[prod.security_group],
                             Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}])
    try:
        yield
    finally:
        elb.delete_load_balancer(LoadBalancerName="acme-prod-classic")
        prod.flow_log_ids = ec2.create_flow_logs(
            ResourceIds=[prod.vpc_id], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
            LogGroupName=f"/connect/{prod.prefix}/vpc-flow-logs",
            DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/{prod.prefix}-flow-logs")["FlowLogIds"]
        ecs.update_service(cluster=prod.cluster, service="notifications-worker", desiredCount=2)
        ecs.update_service(cluster=prod.cluster, service="accounts-api", networkConfiguration=network("DISABLED"))


@contextmanager
def tunnel_down(seed: Seed, link: str, tunnel: int = 1, message: str = "IPSEC IS DOWN") -> Iterator[str]:
    """One tunnel (0 or 1) of acme-prod's VPN link `link` reported DOWN by AWS; yields its outside IP. Both
    tunnels are UP again on exit."""
    vpn_id = seed.prod.vpn_connections[link]
    try:
        yield seed.extensions.telemetry.set(vpn_id, tunnel, "DOWN", message)
    finally:
        seed.extensions.telemetry.reset(vpn_id)


@contextmanager
def dr_vault_holding(seed: Seed, points: list[dict[str, Any]]) -> Iterator[None]:
    """acme-prod's DR vault holds exactly `points` (see `dr_copy`); its fresh copies are back on exit."""
    with seed.extensions.recovery_points.replaced(ACCOUNT, DR_REGION, f"{seed.prod.prefix}-dr", points):
        yield


@contextmanager
def without_dr_copy(seed: Seed, arn: str) -> Iterator[None]:
    """The secret at `arn` without its DR copy (the replica removed, or the parameter deleted in DR_REGION);
    the copy is back on exit."""
    if ":secretsmanager:" in arn:
        secrets = aws(seed.session, seed.endpoint, "secretsmanager", arn.split(":")[3])
        secrets.remove_regions_from_replication(SecretId=arn, RemoveReplicaRegions=[DR_REGION])
        try:
            yield
        finally:
            secrets.replicate_secret_to_regions(SecretId=arn, AddReplicaRegions=[{"Region": DR_REGION}])
        return
    ssm, name = aws(seed.session, seed.endpoint, "ssm", DR_REGION), _parameter_name(arn)
    ssm.delete_parameter(Name=name)
    try:
        yield
    finally:
        ssm.put_parameter(Name=name, Type="SecureString", Value=_seeded_value(name))


@contextmanager
def failed_replica(seed: Seed, arn: str) -> Iterator[str]:
    """The Secrets Manager secret at `arn` with a replica in DR_REGION that failed, as AWS fails it when a secret
    of the same name is already there; yields the replica's StatusMessage. In sync again on exit."""
    name, _ = _secret_name(arn)
    secrets = aws(seed.session, seed.endpoint, "secretsmanager", arn.split(":")[3])
    dr = aws(seed.session, seed.endpoint, "secretsmanager", DR_REGION)
    secrets.remove_regions_from_replication(SecretId=arn, RemoveReplicaRegions=[DR_REGION])
    squatter = dr.create_secret(Name=name, SecretString="made by hand in the DR region")["ARN"]
    status = secrets.replicate_secret_to_regions(SecretId=arn, AddReplicaRegions=[{"Region": DR_REGION}])
    try:
        yield next(r["StatusMessage"] for r in status["ReplicationStatus"] if r["Region"] == DR_REGION)
    finally:
        secrets.remove_regions_from_replication(SecretId=arn, RemoveReplicaRegions=[DR_REGION])
        dr.delete_secret(SecretId=squatter, ForceDeleteWithoutRecovery=True)
        secrets.replicate_secret_to_regions(SecretId=arn, AddReplicaRegions=[{"Region": DR_REGION}])


# --- what a declared failover needs: AWS Backup's copies of the databases, certificates covering the names ----------


def self_signed(names: list[str], *, days: int = 365) -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM) whose subject alternative names are `names`, and its key: what ACM imports.
    Valid from a day before the clock's now, so a fixed `CONNECT_NOW` does not matter."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    start = datetime.now().astimezone() - timedelta(days=1)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(start)
                   .not_valid_after(start + timedelta(days=days))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
                   .sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), pem_key


def certificate_at(session: boto3.Session, endpoint: str, arn: str, names: list[str]) -> None:
    """An issued certificate for `names` at exactly `arn` (moto draws a random ARN on import: it is moved in moto's
    backend to the one the stack file names); replaces one already there."""
    from moto.acm.models import acm_backends

    region = arn.split(":")[3]
    backend = acm_backends[ACCOUNT][region]
    backend._certificates.pop(arn, None)
    body, key = self_signed(names)
    drawn = aws(session, endpoint, "acm", region).import_certificate(Certificate=body, PrivateKey=key)
    bundle = backend._certificates.pop(drawn["CertificateArn"])
    bundle.arn = arn
    backend._certificates[arn] = bundle


def awsbackup_copy(session: boto3.Session, endpoint: str, cluster: str, created: datetime,
                   status: str = "available") -> str:
    """A cluster snapshot of `cluster` in DR_REGION as AWS Backup's copy job leaves it (type `awsbackup`, named
    `awsbackup:copyjob-...`, the source cluster's identifier); returns its ARN. moto makes only manual snapshots of
    clusters it holds: one is made of a short-lived cluster of that name and retyped in moto's backend."""
    from moto.rds.models import rds_backends

    rds = aws(session, endpoint, "rds", DR_REGION)
    made = f"seed-{cluster}-{created:%Y%m%d%H%M}"
    rds.create_db_cluster(DBClusterIdentifier=cluster, Engine="aurora-postgresql", MasterUsername="connect_admin",
                          MasterUserPassword="not-a-real-password")
    rds.create_db_cluster_snapshot(DBClusterIdentifier=cluster, DBClusterSnapshotIdentifier=made)
    rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)
    backend = rds_backends[ACCOUNT][DR_REGION]
    for automated in [k for k, v in backend.cluster_snapshots.items() if v.snapshot_type == "automated"
                      and v.db_cluster_identifier == cluster]:
        del backend.cluster_snapshots[automated]  # moto's own snapshot of the short-lived cluster
    snapshot = backend.cluster_snapshots.pop(made)
    snapshot.snapshot_type, snapshot.status, snapshot.created = "awsbackup", status, created
    snapshot.db_cluster_snapshot_identifier = f"awsbackup:copyjob-{cluster}-{created:%Y%m%d%H%M}"
    backend.cluster_snapshots[snapshot.db_cluster_snapshot_identifier] = snapshot
    return str(snapshot.arn)


def seed_failover_sources(session: boto3.Session, endpoint: str, cfg: StackConfig, seeded: Environment,
                          copied: datetime) -> None:
    """What `connect:dr.active` needs: a copy of each database in DR_REGION made when the DR vault's copy was (and
    an older one, so `latest` has a choice), and the load balancers' certificates covering `*.<zone>`."""
    for database in cfg.data.databases:
        cluster = f"{cfg.name_prefix}-{database.name}"
        awsbackup_copy(session, endpoint, cluster, copied - timedelta(days=1))
        seeded.restore_copies[database.name] = awsbackup_copy(session, endpoint, cluster, copied)
    for arn in (cfg.platform.certificate_arn, cfg.dr.certificate_arn):
        if arn and cfg.services:
            certificate_at(session, endpoint, arn, [f"*.{cfg.dns_zone_name}"])


@contextmanager
def dr_copies_of(seed: Seed, database: str, statuses: list[str]) -> Iterator[list[str]]:
    """acme-prod's database with exactly these copies in DR_REGION, newest last (an empty list: none); yields their
    ARNs. The seeded copies are back on exit."""
    from moto.rds.models import rds_backends

    backend = rds_backends[ACCOUNT][DR_REGION]
    cluster = f"{seed.prod.prefix}-{database}"
    saved = {k: v for k, v in backend.cluster_snapshots.items() if v.db_cluster_identifier == cluster}
    for key in saved:
        del backend.cluster_snapshots[key]
    now = clock.now().replace(microsecond=0)
    try:
        yield [awsbackup_copy(seed.session, seed.endpoint, cluster, now - timedelta(hours=len(statuses) - i), status)
               for i, status in enumerate(statuses)]
    finally:
        for key in [k for k, v in backend.cluster_snapshots.items() if v.db_cluster_identifier == cluster]:
            del backend.cluster_snapshots[key]
        backend.cluster_snapshots.update(saved)


@contextmanager
def certificate_covering(seed: Seed, arn: str, names: list[str]) -> Iterator[None]:
    """The certificate at `arn` replaced by one covering exactly `names`; one covering `*.<zone>` again on exit."""
    from moto.acm.models import acm_backends

    region = arn.split(":")[3]
    saved = acm_backends[ACCOUNT][region]._certificates.get(arn)
    certificate_at(seed.session, seed.endpoint, arn, names)
    try:
        yield
    finally:
        backend = acm_backends[ACCOUNT][region]
        backend._certificates.pop(arn, None)
        if saved is not None:
            backend._certificates[arn] = saved
