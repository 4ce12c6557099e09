"""A stack's offline plan applied to the moto server: the account as `pulumi up` of the program would leave it.

The live audit judges the account with the policy pack (connectctl/audit/guardrails.py); a healthy account must pass
it as the plan passes it. So the seed is not written by hand: every resource of the stack's plan (update mode, every
value known) that the audit reads is created on the moto server with the inputs the program declares, in the plan's
order (a resource registers after everything it depends on). IDs and ARNs are the server's, not the plan's: each
value the plan invented is replaced, wherever it appears (inputs, JSON policies), by what moto answered for the same
resource. Physical names are the plan's (Pulumi's auto-names included), so ARNs built from names stay as they are.

Types no reader reads (dashboards, aliases, exclusive-policy markers) are not created, nor VPN route
propagations (moto 5.2.5 has no EnableVgwRoutePropagation; no rule judges them); `APPLIED` lists the others. Where
moto 5.2.5 lacks an API or drops a value (backup selections and vault policies, VPN tunnel options, an ECS service's
deployment configuration, scalable targets' tags), the extensions of tests/connectctl/moto_extensions.py hold it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from connectctl.engine.capture import SECRET_SIG_KEY, CapturedResource
from tests.connectctl.moto_extensions import MotoExtensions

ACCOUNT = "111111111111"
WORD = re.compile(r"[\w.-]+")  # ids, key ids, auto-names: what a plan value embeds of another resource
Writer = Callable[["Applier", CapturedResource, dict[str, Any], str], "Made | None"]


@dataclass
class Made:
    """What moto answered for a plan resource: its id and ARN there, and other plan values it replaces."""

    id: str
    arn: str | None = None
    more: dict[str, str] = field(default_factory=dict)  # plan value -> server value (a VPC's default ACL...)


def _tags(inputs: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (inputs.get("tags") or {}).items()}


def _tag_list(inputs: dict[str, Any], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in _tags(inputs).items()]


def _spec(kind: str, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    tags = _tag_list(inputs)
    return [{"ResourceType": kind, "Tags": tags}] if tags else []


def _pascal(value: Any) -> Any:
    """Pulumi's camelCase structure as AWS's PascalCase (`targetValue` -> `TargetValue`)."""
    if isinstance(value, dict):
        return {key[:1].upper() + key[1:]: _pascal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_pascal(item) for item in value]
    return value


def _int(value: Any) -> Any:
    """Numbers as AWS takes them: the plan holds every number as a float."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _int(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_int(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """A plan value without the engine's secret wrappers."""
    if isinstance(value, dict):
        if SECRET_SIG_KEY in value:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Applier:
    """Applies plans, resource by resource, remembering which server value stands for which plan value."""

    def __init__(self, session: boto3.Session, endpoint: str, extensions: MotoExtensions) -> None:
        self.session, self.endpoint, self.extensions = session, endpoint, extensions
        self.replaced: dict[str, str] = {}
        self.made: dict[str, Made] = {}  # plan URN -> what the server made
        self.regions: dict[str, str] = {}  # provider reference -> its region
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        if (service, region) not in self._clients:
            self._clients[service, region] = self.session.client(  # type: ignore[call-overload]
                service, region_name=region, endpoint_url=self.endpoint)
        return self._clients[service, region]

    def replace(self, old: str | None, new: str | None) -> None:
        """`new` stands for `old` from now on; in an ARN, each part that differs does too (the random suffix of a
        load balancer's ARN appears alone in its `arnSuffix`, which alarms name)."""
        if not (old and new and old != new):
            return
        self.replaced[old] = new
        if old.startswith("arn:") and new.startswith("arn:"):
            before, after = re.split(r"[:/]", old), re.split(r"[:/]", new)
            if len(before) == len(after):
                for part, replacement in zip(before, after, strict=True):
                    if part != replacement and len(part) >= 8:
                        self.replaced.setdefault(part, replacement)

    def translate(self, value: Any) -> Any:
        """A plan value with every plan id and ARN replaced by the server's: whole values, then the ids inside
        longer ones (ARNs, JSON documents), word by word."""
        if isinstance(value, str):
            if value in self.replaced:
                return self.replaced[value]
            return WORD.sub(lambda m: self.replaced.get(m.group(0), m.group(0)), value)
        if isinstance(value, dict):
            return {k: self.translate(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.translate(v) for v in value]
        return value

    def apply(self, resources: list[CapturedResource]) -> None:
        """Create every resource of a plan the audit reads, in the plan's order."""
        for resource in resources:
            if resource.type == "pulumi:providers:aws":
                self.regions[f"{resource.urn}::{resource.id}"] = str(resource.inputs.get("region"))
        for resource in resources:
            writer = WRITERS.get(resource.type)
            if writer is None or resource.external:
                continue
            region = self.regions.get(resource.provider, "us-east-1")
            inputs = _int(self.translate(_plain(resource.inputs)))
            made = writer(self, resource, inputs, region)
            if made is None:
                continue
            self.made[resource.urn] = made
            self.replace(str(resource.outputs.get("id") or resource.id), made.id)
            self.replace(str(resource.outputs.get("arn") or ""), made.arn)
            for old, new in made.more.items():
                self.replace(old, new)


def _name(resource: CapturedResource, key: str = "name") -> str:
    """The physical name: the plan's input, else the auto-name Pulumi gave it (in its outputs)."""
    return str(resource.inputs.get(key) or resource.outputs.get(key) or resource.id)


# --- EC2 ------------------------------------------------------------------------------------------------------


def vpc(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    ec2 = a.client("ec2", region)
    made = ec2.create_vpc(CidrBlock=i["cidrBlock"], TagSpecifications=_spec("vpc", i))["Vpc"]
    vpc_id = made["VpcId"]
    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                             {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                  {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                               {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    return Made(vpc_id, None, {str(r.outputs.get("defaultNetworkAclId")): acl["NetworkAclId"],
                               str(r.outputs.get("defaultSecurityGroupId")): group["GroupId"],
                               str(r.outputs.get("mainRouteTableId")): table["RouteTableId"]})


def subnet(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("ec2", region).create_subnet(VpcId=i["vpcId"], CidrBlock=i["cidrBlock"],
                                                 AvailabilityZone=i["availabilityZone"],
                                                 TagSpecifications=_spec("subnet", i))["Subnet"]
    return Made(made["SubnetId"], made.get("SubnetArn"))


def internet_gateway(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    ec2 = a.client("ec2", region)
    gateway = ec2.create_internet_gateway(TagSpecifications=_spec("internet-gateway", i))["InternetGateway"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=i["vpcId"])
    return Made(gateway["InternetGatewayId"])


def eip(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    # A public address, as AWS gives (moto would draw one from 127.0.0.0/8): stable per plan resource.
    digest = hashlib.sha256(f"{r.urn}".encode()).digest()
    address = f"3.{digest[0]}.{digest[1]}.{digest[2] % 250 + 1}"
    made = a.client("ec2", region).allocate_address(Domain="vpc", Address=address,
                                                    TagSpecifications=_spec("elastic-ip", i))
    return Made(made["AllocationId"], None, {str(r.outputs.get("publicIp")): made["PublicIp"]})


def nat_gateway(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("ec2", region).create_nat_gateway(
        SubnetId=i["subnetId"], AllocationId=i["allocationId"], ConnectivityType=i.get("connectivityType", "public"),
        TagSpecifications=_spec("natgateway", i))["NatGateway"]
    return Made(made["NatGatewayId"])


def route_table(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("ec2", region).create_route_table(VpcId=i["vpcId"],
                                                      TagSpecifications=_spec("route-table", i))["RouteTable"]
    return Made(made["RouteTableId"])


ROUTE_KEYS = {"destinationCidrBlock": "DestinationCidrBlock", "destinationIpv6CidrBlock": "DestinationIpv6CidrBlock",
              "gatewayId": "GatewayId", "natGatewayId": "NatGatewayId", "transitGatewayId": "TransitGatewayId",
              "vpcPeeringConnectionId": "VpcPeeringConnectionId", "networkInterfaceId": "NetworkInterfaceId"}


def route(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("ec2", region).create_route(RouteTableId=i["routeTableId"],
                                         **{aws: i[key] for key, aws in ROUTE_KEYS.items() if i.get(key)})
    return Made(str(r.id))


def route_table_association(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("ec2", region).associate_route_table(RouteTableId=i["routeTableId"], SubnetId=i["subnetId"])
    return Made(made["AssociationId"])


def security_group(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    """As the provider makes it: auto-named (`<name>-<7 hex>`), without the egress rule AWS adds."""
    ec2 = a.client("ec2", region)
    name = str(r.outputs.get("name") or f"{r.name}-{hashlib.sha256(r.name.encode()).hexdigest()[:7]}")
    group = ec2.create_security_group(GroupName=name, Description=i["description"], VpcId=i["vpcId"],
                                      TagSpecifications=_spec("security-group", i))["GroupId"]
    _revoke_all(ec2, group)
    return Made(group, f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{group}")


def _revoke_all(ec2: Any, group: str) -> None:
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    egress = [x["SecurityGroupRuleId"] for x in rules if x["IsEgress"]]
    ingress = [x["SecurityGroupRuleId"] for x in rules if not x["IsEgress"]]
    if egress:
        ec2.revoke_security_group_egress(GroupId=group, SecurityGroupRuleIds=egress)
    if ingress:
        ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=ingress)


def default_security_group(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    ec2 = a.client("ec2", region)
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [i["vpcId"]]},
                                                  {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    _revoke_all(ec2, group["GroupId"])
    if _tag_list(i):
        ec2.create_tags(Resources=[group["GroupId"]], Tags=_tag_list(i))
    return Made(group["GroupId"])


def security_group_rule(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    ec2 = a.client("ec2", region)
    permission: dict[str, Any] = {"IpProtocol": i["ipProtocol"]}
    if i["ipProtocol"] != "-1":
        permission |= {"FromPort": i["fromPort"], "ToPort": i["toPort"]}
    described = {"Description": i["description"]} if i.get("description") else {}
    if i.get("referencedSecurityGroupId"):
        permission["UserIdGroupPairs"] = [{"GroupId": i["referencedSecurityGroupId"], **described}]
    elif i.get("prefixListId"):
        permission["PrefixListIds"] = [{"PrefixListId": i["prefixListId"], **described}]
    elif i.get("cidrIpv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": i["cidrIpv6"], **described}]
    else:
        permission["IpRanges"] = [{"CidrIp": i["cidrIpv4"], **described}]
    authorize = ec2.authorize_security_group_egress if r.type.endswith("EgressRule") else \
        ec2.authorize_security_group_ingress
    made = authorize(GroupId=i["securityGroupId"], IpPermissions=[permission],
                     TagSpecifications=_spec("security-group-rule", i))
    return Made(made["SecurityGroupRules"][0]["SecurityGroupRuleId"])


def _acl_entries(ec2: Any, acl: str, i: dict[str, Any]) -> None:
    for egress, key in ((False, "ingress"), (True, "egress")):
        for entry in i.get(key) or []:
            protocol = str(entry["protocol"])
            number = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}.get(protocol, protocol)
            ec2.create_network_acl_entry(
                NetworkAclId=acl, RuleNumber=entry["ruleNo"], Protocol=number, RuleAction=entry["action"],
                Egress=egress, CidrBlock=entry["cidrBlock"],
                **({} if number == "-1" else {"PortRange": {"From": entry["fromPort"], "To": entry["toPort"]}}))


def network_acl(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    ec2 = a.client("ec2", region)
    acl = ec2.create_network_acl(VpcId=i["vpcId"], TagSpecifications=_spec("network-acl", i))["NetworkAcl"]
    _acl_entries(ec2, acl["NetworkAclId"], i)
    return Made(acl["NetworkAclId"])


def network_acl_association(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    ec2 = a.client("ec2", region)
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [i["subnetId"]]}])
    association = next(x["NetworkAclAssociationId"] for x in current["NetworkAcls"][0]["Associations"]
                       if x["SubnetId"] == i["subnetId"])
    made = ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=i["networkAclId"])
    return Made(made["NewAssociationId"])


def default_network_acl(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    ec2 = a.client("ec2", region)
    acl = i["defaultNetworkAclId"]
    for entry in ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]:
        if entry["RuleNumber"] not in (32767, 32768):
            ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=entry["RuleNumber"], Egress=entry["Egress"])
    _acl_entries(ec2, acl, i)
    if _tag_list(i):
        ec2.create_tags(Resources=[acl], Tags=_tag_list(i))
    return Made(acl)


def flow_log(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    # The log group by name, which AWS takes as well as its ARN: moto checks a group named so exists, and fails
    # the delivery of one given by ARN.
    destination = ({"LogGroupName": i["logDestination"].split(":log-group:", 1)[1].removesuffix(":*")}
                   if i["logDestinationType"] == "cloud-watch-logs" else {"LogDestination": i["logDestination"]})
    made = a.client("ec2", region).create_flow_logs(
        ResourceIds=[i["vpcId"]], ResourceType="VPC", TrafficType=i["trafficType"],
        LogDestinationType=i["logDestinationType"], **destination,
        DeliverLogsPermissionArn=i["iamRoleArn"], MaxAggregationInterval=i.get("maxAggregationInterval", 600),
        TagSpecifications=_spec("vpc-flow-log", i))
    return Made(made["FlowLogIds"][0])


def vpc_endpoint(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    extra: dict[str, Any] = {}
    if i.get("vpcEndpointType", "Gateway") == "Interface":
        extra = {"SubnetIds": i.get("subnetIds", []), "SecurityGroupIds": i.get("securityGroupIds", []),
                 "PrivateDnsEnabled": bool(i.get("privateDnsEnabled"))}
    else:
        extra = {"RouteTableIds": i.get("routeTableIds", [])}
    if i.get("policy"):
        extra["PolicyDocument"] = i["policy"]
    made = a.client("ec2", region).create_vpc_endpoint(
        VpcId=i["vpcId"], ServiceName=i["serviceName"], VpcEndpointType=i.get("vpcEndpointType", "Gateway"),
        TagSpecifications=_spec("vpc-endpoint", i), **extra)["VpcEndpoint"]
    return Made(made["VpcEndpointId"])


def customer_gateway(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("ec2", region).create_customer_gateway(
        Type=i.get("type", "ipsec.1"), PublicIp=i["ipAddress"], BgpAsn=int(i["bgpAsn"]),
        TagSpecifications=_spec("customer-gateway", i))["CustomerGateway"]
    return Made(made["CustomerGatewayId"])


def vpn_gateway(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    ec2 = a.client("ec2", region)
    made = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=int(i["amazonSideAsn"]),
                                  TagSpecifications=_spec("vpn-gateway", i))["VpnGateway"]
    if i.get("vpcId"):
        ec2.attach_vpn_gateway(VpcId=i["vpcId"], VpnGatewayId=made["VpnGatewayId"])
    return Made(made["VpnGatewayId"])


TUNNEL = {"IkeVersions": "IkeVersions", "Phase1EncryptionAlgorithms": "Phase1EncryptionAlgorithms",
          "Phase2EncryptionAlgorithms": "Phase2EncryptionAlgorithms",
          "Phase1IntegrityAlgorithms": "Phase1IntegrityAlgorithms",
          "Phase2IntegrityAlgorithms": "Phase2IntegrityAlgorithms", "Phase1DhGroupNumbers": "Phase1DHGroupNumbers",
          "Phase2DhGroupNumbers": "Phase2DHGroupNumbers"}


def tunnel_options(i: dict[str, Any], outside: str) -> list[dict[str, Any]]:
    """The connection's tunnels as DescribeVpnConnections answers them (`Options.TunnelOptions`), no key."""
    found = []
    for number in (1, 2):
        tunnel: dict[str, Any] = {"OutsideIpAddress": f"{outside}{number}"}
        for name, key in TUNNEL.items():
            if f"tunnel{number}{name}" in i:
                tunnel[key] = [{"Value": v} for v in i[f"tunnel{number}{name}"]]
        if i.get(f"tunnel{number}InsideCidr"):
            tunnel["TunnelInsideCidr"] = i[f"tunnel{number}InsideCidr"]
        if i.get(f"tunnel{number}DpdTimeoutAction"):
            tunnel["DpdTimeoutAction"] = i[f"tunnel{number}DpdTimeoutAction"]
        logs = ((i.get(f"tunnel{number}LogOptions") or {}).get("cloudwatchLogOptions")) or {}
        if logs:
            tunnel["LogOptions"] = {"CloudWatchLogOptions": _pascal(logs)}
        found.append(tunnel)
    return found


def vpn_connection(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("ec2", region).create_vpn_connection(
        Type=i.get("type", "ipsec.1"), CustomerGatewayId=i["customerGatewayId"], VpnGatewayId=i["vpnGatewayId"],
        Options={"StaticRoutesOnly": bool(i.get("staticRoutesOnly"))},
        TagSpecifications=_spec("vpn-connection", i))["VpnConnection"]
    vpn_id = made["VpnConnectionId"]
    a.extensions.tunnel_options.set(vpn_id, {"StaticRoutesOnly": bool(i.get("staticRoutesOnly")),
                                             "TunnelOptions": tunnel_options(i, "203.0.113.")})
    return Made(vpn_id)


# --- logs, keys, identity -------------------------------------------------------------------------------------


def log_group(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    logs = a.client("logs", region)
    logs.create_log_group(logGroupName=i["name"], tags=_tags(i), **({"kmsKeyId": i["kmsKeyId"]}
                                                                       if i.get("kmsKeyId") else {}))
    if i.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=i["name"], retentionInDays=i["retentionInDays"])
    return Made(i["name"], f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{i['name']}")


def key(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    kms = a.client("kms", region)
    made = kms.create_key(Description=i.get("description", ""), Policy=i.get("policy") or "",
                          Tags=_tag_list(i, "TagKey", "TagValue"))["KeyMetadata"]
    if i.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=made["KeyId"])
    return Made(made["KeyId"], made["Arn"])


def role(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    extra = {"PermissionsBoundary": i["permissionsBoundary"]} if i.get("permissionsBoundary") else {}
    if i.get("description"):
        extra["Description"] = i["description"]
    if i.get("maxSessionDuration"):
        extra["MaxSessionDuration"] = i["maxSessionDuration"]
    made = a.client("iam", region).create_role(RoleName=_name(r), AssumeRolePolicyDocument=i["assumeRolePolicy"],
                                               Tags=_tag_list(i), **extra)["Role"]
    return Made(made["RoleName"], made["Arn"])


def role_policy(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    name = str(i.get("name") or str(r.id).split(":", 1)[1])
    a.client("iam", region).put_role_policy(RoleName=i["role"], PolicyName=name, PolicyDocument=i["policy"])
    return Made(f"{i['role']}:{name}")


def attachment(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("iam", region).attach_role_policy(RoleName=i["role"], PolicyArn=i["policyArn"])
    return Made(str(r.id))


def attachments(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    iam = a.client("iam", region)
    for arn in i.get("policyArns") or []:
        iam.attach_role_policy(RoleName=i["roleName"], PolicyArn=arn)
    return Made(str(r.id))


def policy(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("iam", region).create_policy(
        PolicyName=_name(r), PolicyDocument=i["policy"], Description=i.get("description", ""),
        Tags=_tag_list(i))["Policy"]
    return Made(made["Arn"], made["Arn"])


# --- storage ----------------------------------------------------------------------------------------------------


def bucket(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    s3 = a.client("s3", region)
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=i["bucket"], **where)
    if _tag_list(i):
        s3.put_bucket_tagging(Bucket=i["bucket"], Tagging={"TagSet": _tag_list(i)})
    return Made(i["bucket"], f"arn:aws:s3:::{i['bucket']}")


def public_access_block(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("s3", region).put_public_access_block(Bucket=i["bucket"], PublicAccessBlockConfiguration={
        key[:1].upper() + key[1:]: bool(i.get(key)) for key in
        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")})
    return Made(i["bucket"])


def bucket_policy(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("s3", region).put_bucket_policy(Bucket=i["bucket"], Policy=i["policy"])
    return Made(i["bucket"])


def encryption(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    rules = []
    for rule in i["rules"]:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        found: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default.get("sseAlgorithm")}}
        if default.get("kmsMasterKeyId"):
            found["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] = default["kmsMasterKeyId"]
        if "bucketKeyEnabled" in rule:
            found["BucketKeyEnabled"] = bool(rule["bucketKeyEnabled"])
        rules.append(found)
    a.client("s3", region).put_bucket_encryption(Bucket=i["bucket"],
                                                 ServerSideEncryptionConfiguration={"Rules": rules})
    return Made(i["bucket"])


def versioning(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("s3", region).put_bucket_versioning(Bucket=i["bucket"], VersioningConfiguration={
        "Status": i["versioningConfiguration"]["status"]})
    return Made(i["bucket"])


def logging(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("s3", region).put_bucket_logging(Bucket=i["bucket"], BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": i["targetBucket"], "TargetPrefix": i.get("targetPrefix", "")}})
    return Made(i["bucket"])


def _s3_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A replication or lifecycle rule in the S3 API's casing, its `id` as `ID`."""
    found = _pascal({k: v for k, v in rule.items() if k != "id"})
    found["ID"] = rule.get("id")
    return found


def replication(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    rules = [_s3_rule(rule) for rule in i["rules"]]
    for found in rules:
        encryption = found.get("Destination", {}).get("EncryptionConfiguration")
        if encryption and "ReplicaKmsKeyId" in encryption:
            encryption["ReplicaKmsKeyID"] = encryption.pop("ReplicaKmsKeyId")
    a.client("s3", region).put_bucket_replication(Bucket=i["bucket"], ReplicationConfiguration={
        "Role": i["role"], "Rules": rules})
    return Made(i["bucket"])


def lifecycle(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    rules = [_s3_rule(rule) for rule in i["rules"]]
    a.client("s3", region).put_bucket_lifecycle_configuration(Bucket=i["bucket"],
                                                              LifecycleConfiguration={"Rules": rules})
    return Made(i["bucket"])


def ownership(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("s3", region).put_bucket_ownership_controls(Bucket=i["bucket"], OwnershipControls={
        "Rules": [{"ObjectOwnership": i["rule"]["objectOwnership"]}]})
    return Made(i["bucket"])


def subnet_group(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("rds", region).create_db_subnet_group(
        DBSubnetGroupName=i["name"], DBSubnetGroupDescription=i.get("description", i["name"]),
        SubnetIds=i["subnetIds"], Tags=_tag_list(i))["DBSubnetGroup"]
    return Made(i["name"], made.get("DBSubnetGroupArn"))


def parameter_group(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    rds = a.client("rds", region)
    made = rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=i["name"], DBParameterGroupFamily=i["family"],
        Description=i.get("description", i["name"]), Tags=_tag_list(i))["DBClusterParameterGroup"]
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=i["name"], Parameters=[
        {"ParameterName": p["name"], "ParameterValue": p["value"], "ApplyMethod": p.get("applyMethod", "immediate")}
        for p in i.get("parameters", [])])
    return Made(i["name"], made.get("DBClusterParameterGroupArn"))


def db_cluster(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("rds", region).create_db_cluster(
        DBClusterIdentifier=i["clusterIdentifier"], Engine=i["engine"], EngineVersion=i.get("engineVersion"),
        EngineMode=i.get("engineMode", "provisioned"), DatabaseName=i.get("databaseName", ""),
        MasterUsername=i.get("masterUsername", "admin"), ManageMasterUserPassword=True,
        StorageEncrypted=bool(i.get("storageEncrypted")), KmsKeyId=i.get("kmsKeyId", ""),
        DeletionProtection=bool(i.get("deletionProtection")),
        DBClusterParameterGroupName=i.get("dbClusterParameterGroupName", ""),
        DBSubnetGroupName=i.get("dbSubnetGroupName", ""), VpcSecurityGroupIds=i.get("vpcSecurityGroupIds", []),
        EnableCloudwatchLogsExports=i.get("enabledCloudwatchLogsExports", []),
        EnableIAMDatabaseAuthentication=bool(i.get("iamDatabaseAuthenticationEnabled")),
        BackupRetentionPeriod=i.get("backupRetentionPeriod", 1), CopyTagsToSnapshot=bool(i.get("copyTagsToSnapshot")),
        Tags=_tag_list(i))["DBCluster"]
    return Made(made["DBClusterIdentifier"], made["DBClusterArn"])


def db_instance(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    extra = {"MonitoringRoleArn": i["monitoringRoleArn"]} if i.get("monitoringRoleArn") else {}
    made = a.client("rds", region).create_db_instance(
        DBInstanceIdentifier=i["identifier"], DBClusterIdentifier=i["clusterIdentifier"], Engine=i["engine"],
        DBInstanceClass=i["instanceClass"], PubliclyAccessible=bool(i.get("publiclyAccessible")),
        MonitoringInterval=i.get("monitoringInterval", 0), AvailabilityZone=i.get("availabilityZone", ""),
        EnablePerformanceInsights=bool(i.get("performanceInsightsEnabled")), Tags=_tag_list(i), **extra)["DBInstance"]
    return Made(made["DBInstanceIdentifier"], made["DBInstanceArn"])


def vault(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("backup", region).create_backup_vault(
        BackupVaultName=i["name"], EncryptionKeyArn=i.get("kmsKeyArn", ""), BackupVaultTags=_tags(i))
    return Made(i["name"], made["BackupVaultArn"])


def vault_lock(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("backup", region).put_backup_vault_lock_configuration(
        BackupVaultName=i["backupVaultName"], MinRetentionDays=i["minRetentionDays"],
        MaxRetentionDays=i["maxRetentionDays"], ChangeableForDays=i["changeableForDays"])
    return Made(i["backupVaultName"])


def vault_policy(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("backup", region).put_backup_vault_access_policy(BackupVaultName=i["backupVaultName"],
                                                              Policy=i["policy"])
    return Made(i["backupVaultName"])


def _plan_rule(rule: dict[str, Any]) -> dict[str, Any]:
    def lifecycle(value: dict[str, Any] | None) -> dict[str, Any]:
        return {"DeleteAfterDays": value["deleteAfter"]} if value and value.get("deleteAfter") else {}

    found: dict[str, Any] = {
        "RuleName": rule["ruleName"], "TargetBackupVaultName": rule["targetVaultName"],
        "ScheduleExpression": rule.get("schedule", ""), "StartWindowMinutes": rule.get("startWindow", 60),
        "CompletionWindowMinutes": rule.get("completionWindow", 180), "Lifecycle": lifecycle(rule.get("lifecycle")),
        "RecoveryPointTags": rule.get("recoveryPointTags", {}),
        "EnableContinuousBackup": bool(rule.get("enableContinuousBackup")),
        "CopyActions": [{"DestinationBackupVaultArn": c["destinationVaultArn"],
                         "Lifecycle": lifecycle(c.get("lifecycle"))} for c in rule.get("copyActions", [])]}
    return found


def backup_plan(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("backup", region).create_backup_plan(
        BackupPlan={"BackupPlanName": i["name"], "Rules": [_plan_rule(x) for x in i["rules"]]},
        BackupPlanTags=_tags(i))
    return Made(made["BackupPlanId"], made["BackupPlanArn"])


def selection(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("backup", region).create_backup_selection(BackupPlanId=i["planId"], BackupSelection={
        "SelectionName": i["name"], "IamRoleArn": i["iamRoleArn"], "Resources": i.get("resources", []),
        "ListOfTags": [{"ConditionType": t["type"], "ConditionKey": t["key"], "ConditionValue": t["value"]}
                       for t in i.get("selectionTags", [])]})
    return Made(made["SelectionId"])


# --- registry, compute ------------------------------------------------------------------------------------------


def repository(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    encryption = (i.get("encryptionConfigurations") or [{}])[0]
    made = a.client("ecr", region).create_repository(
        repositoryName=i["name"], imageTagMutability=i.get("imageTagMutability", "MUTABLE"),
        imageScanningConfiguration={"scanOnPush": bool((i.get("imageScanningConfiguration") or {}).get("scanOnPush"))},
        encryptionConfiguration=encryption or {"encryptionType": "AES256"},  # ECR's names are Pulumi's
        tags=_tag_list(i))["repository"]
    return Made(i["name"], made["repositoryArn"])


def lifecycle_policy(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("ecr", region).put_lifecycle_policy(repositoryName=i["repository"], lifecyclePolicyText=i["policy"])
    return Made(i["repository"])


def repository_policy(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("ecr", region).set_repository_policy(repositoryName=i["repository"], policyText=i["policy"])
    return Made(i["repository"])


def scanning(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("ecr", region).put_registry_scanning_configuration(scanType=i["scanType"], rules=i.get("rules", []))
    return Made(ACCOUNT)


def registry_replication(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("ecr", region).put_replication_configuration(replicationConfiguration=i["replicationConfiguration"])
    return Made(ACCOUNT)


def cluster(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("ecs", region).create_cluster(clusterName=i["name"], settings=i.get("settings", []),
                                                  tags=_tag_list(i, "key", "value"))["cluster"]
    return Made(made["clusterArn"], made["clusterArn"])


def capacity_providers(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("ecs", region).put_cluster_capacity_providers(
        cluster=i["clusterName"], capacityProviders=i.get("capacityProviders", []),
        defaultCapacityProviderStrategy=i.get("defaultCapacityProviderStrategies", []))
    return Made(i["clusterName"])


def task_definition(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    extra = {key[:1].lower() + key[1:]: i[key] for key in ("executionRoleArn", "taskRoleArn", "pidMode", "ipcMode")
             if i.get(key)}
    made = a.client("ecs", region).register_task_definition(
        family=i["family"], containerDefinitions=json.loads(i["containerDefinitions"]), cpu=str(i["cpu"]),
        memory=str(i["memory"]), networkMode=i.get("networkMode", "awsvpc"),
        requiresCompatibilities=i.get("requiresCompatibilities", []), tags=_tag_list(i, "key", "value"),
        **extra)["taskDefinition"]
    return Made(made["taskDefinitionArn"], made["taskDefinitionArn"])


def service(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    ecs = a.client("ecs", region)
    network = i.get("networkConfiguration") or {}
    breaker = i.get("deploymentCircuitBreaker")
    deployment: dict[str, Any] = {}
    if breaker:
        deployment["deploymentCircuitBreaker"] = {"enable": bool(breaker["enable"]),
                                                  "rollback": bool(breaker["rollback"])}
    for key, name in (("deploymentMaximumPercent", "maximumPercent"),
                      ("deploymentMinimumHealthyPercent", "minimumHealthyPercent")):
        if key in i:
            deployment[name] = i[key]
    made = ecs.create_service(
        cluster=i["cluster"], serviceName=i["name"], taskDefinition=i["taskDefinition"],
        desiredCount=i.get("desiredCount", 0), launchType=i.get("launchType", "FARGATE"),
        platformVersion=i.get("platformVersion", "LATEST"),
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": network.get("subnets", []), "securityGroups": network.get("securityGroups", []),
            "assignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED"}},
        loadBalancers=i.get("loadBalancers", []), deploymentConfiguration=deployment,
        enableECSManagedTags=bool(i.get("enableEcsManagedTags")), propagateTags=i.get("propagateTags", "NONE"),
        tags=_tag_list(i, "key", "value"),
        **({"healthCheckGracePeriodSeconds": i["healthCheckGracePeriodSeconds"]}
           if "healthCheckGracePeriodSeconds" in i else {}))["service"]
    # moto starts services with every task pending; an update of the desired count makes them run.
    ecs.update_service(cluster=i["cluster"], service=i["name"], desiredCount=i.get("desiredCount", 0))
    return Made(made["serviceArn"], made["serviceArn"])


def load_balancer(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    elbv2 = a.client("elbv2", region)
    made = elbv2.create_load_balancer(
        Name=_name(r), Subnets=i["subnets"], SecurityGroups=i.get("securityGroups", []),
        Scheme="internal" if i.get("internal") else "internet-facing", Type=i.get("loadBalancerType", "application"),
        Tags=_tag_list(i))["LoadBalancers"][0]
    logs = i.get("accessLogs") or {}
    attributes = [
        {"Key": "access_logs.s3.enabled", "Value": str(bool(logs.get("enabled"))).lower()},
        {"Key": "access_logs.s3.bucket", "Value": logs.get("bucket", "")},
        {"Key": "access_logs.s3.prefix", "Value": logs.get("prefix", "")},
        {"Key": "routing.http.drop_invalid_header_fields.enabled",
         "Value": str(bool(i.get("dropInvalidHeaderFields"))).lower()},
        {"Key": "routing.http.desync_mitigation_mode", "Value": i.get("desyncMitigationMode", "defensive")},
        {"Key": "deletion_protection.enabled", "Value": str(bool(i.get("enableDeletionProtection"))).lower()}]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=made["LoadBalancerArn"], Attributes=attributes)
    return Made(made["LoadBalancerArn"], made["LoadBalancerArn"], {str(r.outputs.get("dnsName")): made["DNSName"]})


def target_group(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    name = str(r.outputs.get("name") or r.outputs.get("arn", "").split("/")[1])
    made = a.client("elbv2", region).create_target_group(
        Name=name[:32], Port=i["port"], Protocol=i["protocol"], VpcId=i["vpcId"], TargetType=i.get("targetType", "ip"),
        Tags=_tag_list(i))["TargetGroups"][0]
    return Made(made["TargetGroupArn"], made["TargetGroupArn"])


def _actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    renamed = {"Redirect": "RedirectConfig", "FixedResponse": "FixedResponseConfig", "Forward": "ForwardConfig"}
    return [{renamed.get(k, k): v for k, v in _pascal(action).items()} for action in actions]


def listener(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    extra: dict[str, Any] = {}
    if i.get("certificateArn"):
        acm = a.client("acm", region)
        arn = i["certificateArn"]
        try:  # the stack file's certificate, when the seed made it (moto_seed.certificate_at); else one of moto's
            acm.describe_certificate(CertificateArn=arn)
        except acm.exceptions.ResourceNotFoundException:
            arn = acm.request_certificate(DomainName="platform.acme.example")["CertificateArn"]
            a.replace(i["certificateArn"], arn)
        extra["Certificates"] = [{"CertificateArn": arn}]
    if i.get("sslPolicy"):
        extra["SslPolicy"] = i["sslPolicy"]
    made = a.client("elbv2", region).create_listener(
        LoadBalancerArn=i["loadBalancerArn"], Port=i["port"], Protocol=i["protocol"],
        DefaultActions=_actions(i["defaultActions"]), Tags=_tag_list(i), **extra)["Listeners"][0]
    return Made(made["ListenerArn"], made["ListenerArn"])


def listener_rule(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("elbv2", region).create_rule(
        ListenerArn=i["listenerArn"], Priority=i["priority"], Actions=_actions(i["actions"]),
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": c["pathPattern"]["values"]}}
                    for c in i["conditions"] if "pathPattern" in c], Tags=_tag_list(i))["Rules"][0]
    return Made(made["RuleArn"], made["RuleArn"])


def scalable_target(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    scaling = a.client("application-autoscaling", region)
    made = scaling.register_scalable_target(
        ServiceNamespace=i["serviceNamespace"], ResourceId=i["resourceId"], ScalableDimension=i["scalableDimension"],
        MinCapacity=i["minCapacity"], MaxCapacity=i["maxCapacity"], Tags=_tags(i))
    return Made(i["resourceId"], made.get("ScalableTargetARN"))


def scaling_policy(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    name = _name(r)
    made = a.client("application-autoscaling", region).put_scaling_policy(
        PolicyName=name, ServiceNamespace=i["serviceNamespace"], ResourceId=i["resourceId"],
        ScalableDimension=i["scalableDimension"], PolicyType=i["policyType"],
        TargetTrackingScalingPolicyConfiguration=_pascal(i["targetTrackingScalingPolicyConfiguration"]))
    return Made(name, made["PolicyARN"])


# --- observability ------------------------------------------------------------------------------------------------


def _query(query: dict[str, Any]) -> dict[str, Any]:
    """A metric query of an alarm, as PutMetricAlarm takes it."""
    found: dict[str, Any] = {"Id": query["id"], "ReturnData": bool(query.get("returnData"))}
    if query.get("expression"):
        found["Expression"] = query["expression"]
    metric = query.get("metric")
    if metric:
        found["MetricStat"] = {"Metric": {
            "MetricName": metric["metricName"], "Namespace": metric["namespace"],
            "Dimensions": [{"Name": k, "Value": v} for k, v in (metric.get("dimensions") or {}).items()]},
            "Period": metric["period"], "Stat": metric["stat"]}
    return found


def alarm(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    cloudwatch = a.client("cloudwatch", region)
    extra: dict[str, Any] = {}
    if i.get("metricQueries"):
        extra["Metrics"] = [_query(q) for q in i["metricQueries"]]
    else:
        extra = {"MetricName": i["metricName"], "Namespace": i["namespace"], "Period": i["period"],
                 "Dimensions": [{"Name": k, "Value": v} for k, v in (i.get("dimensions") or {}).items()]}
        extra |= {"Statistic": i["statistic"]} if i.get("statistic") else {"ExtendedStatistic": i["extendedStatistic"]}
    name = _name(r)
    cloudwatch.put_metric_alarm(
        AlarmName=name, ComparisonOperator=i["comparisonOperator"], EvaluationPeriods=i["evaluationPeriods"],
        Threshold=i.get("threshold", 0), AlarmActions=i.get("alarmActions", []),
        ActionsEnabled=bool(i.get("actionsEnabled", True)), AlarmDescription=i.get("alarmDescription", ""),
        Tags=_tag_list(i), **extra)
    return Made(name, f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}")


def event_rule(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("events", region).put_rule(Name=i["name"], EventPattern=i["eventPattern"],
                                               Description=i.get("description", ""), Tags=_tag_list(i))
    return Made(i["name"], made["RuleArn"])


def event_target(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    target: dict[str, Any] = {"Id": i["targetId"], "Arn": i["arn"]}
    if i.get("roleArn"):
        target["RoleArn"] = i["roleArn"]
    a.client("events", region).put_targets(Rule=i["rule"], Targets=[target])
    return Made(f"{i['rule']}-{i['targetId']}")


def topic(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    attributes = {"KmsMasterKeyId": i["kmsMasterKeyId"]} if i.get("kmsMasterKeyId") else {}
    made = a.client("sns", region).create_topic(Name=i["name"], Attributes=attributes, Tags=_tag_list(i))
    return Made(made["TopicArn"], made["TopicArn"])


def topic_policy(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    a.client("sns", region).set_topic_attributes(TopicArn=i["arn"], AttributeName="Policy", AttributeValue=i["policy"])
    return Made(i["arn"])


def subscription(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("sns", region).subscribe(TopicArn=i["topic"], Protocol=i["protocol"], Endpoint=i["endpoint"])
    return Made(made["SubscriptionArn"])


OPERATORS = {"field": "Field", "equals": "Equals", "notEquals": "NotEquals", "startsWiths": "StartsWith",
             "notStartsWiths": "NotStartsWith", "endsWiths": "EndsWith", "notEndsWiths": "NotEndsWith"}


def parameter(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    value = i.get("value")
    a.client("ssm", region).put_parameter(
        Name=i["name"], Type=i.get("type", "String"), Description=i.get("description", ""), Tags=_tag_list(i),
        Value=value if isinstance(value, str) and value != "[secret]" else "seeded by tests/connectctl/moto_plan.py")
    return Made(i["name"], f"arn:aws:ssm:{region}:{ACCOUNT}:parameter{i['name']}")


def trail(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    cloudtrail = a.client("cloudtrail", region)
    extra = {key: i[name] for name, key in (("kmsKeyId", "KmsKeyId"), ("cloudWatchLogsGroupArn",
                                                                       "CloudWatchLogsLogGroupArn"),
                                            ("cloudWatchLogsRoleArn", "CloudWatchLogsRoleArn")) if i.get(name)}
    made = cloudtrail.create_trail(
        Name=i["name"], S3BucketName=i["s3BucketName"], IsMultiRegionTrail=bool(i.get("isMultiRegionTrail")),
        EnableLogFileValidation=bool(i.get("enableLogFileValidation")),
        IncludeGlobalServiceEvents=bool(i.get("includeGlobalServiceEvents", True)), TagsList=_tag_list(i), **extra)
    if i.get("enableLogging", True):
        cloudtrail.start_logging(Name=i["name"])
    selectors = [{"Name": s.get("name", ""), "FieldSelectors": [{OPERATORS[k]: v for k, v in f.items()}
                                                                 for f in s.get("fieldSelectors", [])]}
                 for s in i.get("advancedEventSelectors") or []]
    if selectors:
        cloudtrail.put_event_selectors(TrailName=i["name"], AdvancedEventSelectors=selectors)
    return Made(made["TrailARN"], made["TrailARN"])


# --- names ------------------------------------------------------------------------------------------------------


def zone(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    route53 = a.client("route53", region)
    vpcs = i.get("vpcs") or []
    extra: dict[str, Any] = {"VPC": {"VPCId": vpcs[0]["vpcId"], "VPCRegion": vpcs[0]["vpcRegion"]}} if vpcs else {}
    made = route53.create_hosted_zone(Name=i["name"], CallerReference=r.urn, HostedZoneConfig={
        "Comment": i.get("comment", ""), "PrivateZone": bool(vpcs)}, **extra)["HostedZone"]
    zone_id = str(made["Id"]).rsplit("/", 1)[-1]
    for vpc in vpcs[1:]:
        route53.associate_vpc_with_hosted_zone(HostedZoneId=zone_id, VPC={"VPCId": vpc["vpcId"],
                                                                          "VPCRegion": vpc["vpcRegion"]})
    if _tag_list(i):
        route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id, AddTags=_tag_list(i))
    return Made(zone_id, f"arn:aws:route53:::hostedzone/{zone_id}")


def health_check(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    route53 = a.client("route53", region)
    config: dict[str, Any] = {"Type": i["type"]}
    if i["type"] == "CLOUDWATCH_METRIC":
        config |= {"AlarmIdentifier": {"Region": i["cloudwatchAlarmRegion"], "Name": i["cloudwatchAlarmName"]},
                   "InsufficientDataHealthStatus": i.get("insufficientDataHealthStatus", "LastKnownStatus")}
    elif i["type"] == "CALCULATED":
        config |= {"ChildHealthChecks": i.get("childHealthchecks", []),
                   "HealthThreshold": i.get("childHealthThreshold", 1)}
    made = route53.create_health_check(CallerReference=r.urn, HealthCheckConfig=config)["HealthCheck"]
    if _tag_list(i):
        route53.change_tags_for_resource(ResourceType="healthcheck", ResourceId=made["Id"], AddTags=_tag_list(i))
    return Made(made["Id"], f"arn:aws:route53:::healthcheck/{made['Id']}")


def record(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    found: dict[str, Any] = {"Name": i["name"], "Type": i["type"]}
    if i.get("aliases"):
        alias = i["aliases"][0]
        found["AliasTarget"] = {"HostedZoneId": alias["zoneId"], "DNSName": alias["name"],
                                "EvaluateTargetHealth": bool(alias.get("evaluateTargetHealth"))}
    else:
        found |= {"TTL": i.get("ttl", 300), "ResourceRecords": [{"Value": v} for v in i.get("records", [])]}
    if i.get("setIdentifier"):
        found["SetIdentifier"] = i["setIdentifier"]
    if i.get("failoverRoutingPolicies"):
        found["Failover"] = i["failoverRoutingPolicies"][0]["type"]
    if i.get("healthCheckId"):
        found["HealthCheckId"] = i["healthCheckId"]
    a.client("route53", region).change_resource_record_sets(HostedZoneId=i["zoneId"], ChangeBatch={
        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": found}]})
    return Made(str(r.id))


def resolver_endpoint(a: Applier, r: CapturedResource, i: dict[str, Any], region: str) -> Made:
    made = a.client("route53resolver", region).create_resolver_endpoint(
        CreatorRequestId=r.urn[-64:], Name=i.get("name", ""), SecurityGroupIds=i["securityGroupIds"],
        Direction=i["direction"], IpAddresses=[{"SubnetId": x["subnetId"]} for x in i["ipAddresses"]],
        Tags=_tag_list(i))["ResolverEndpoint"]
    return Made(made["Id"], made["Arn"])


WRITERS: dict[str, Writer] = {
    "aws:ec2/vpc:Vpc": vpc, "aws:ec2/subnet:Subnet": subnet, "aws:ec2/internetGateway:InternetGateway":
    internet_gateway, "aws:ec2/eip:Eip": eip, "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/routeTable:RouteTable": route_table, "aws:ec2/route:Route": route,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": route_table_association,
    "aws:ec2/securityGroup:SecurityGroup": security_group,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": default_security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": security_group_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": security_group_rule,
    "aws:ec2/networkAcl:NetworkAcl": network_acl, "aws:ec2/networkAclAssociation:NetworkAclAssociation":
    network_acl_association, "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": default_network_acl,
    "aws:ec2/flowLog:FlowLog": flow_log, "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:ec2/customerGateway:CustomerGateway": customer_gateway, "aws:ec2/vpnGateway:VpnGateway": vpn_gateway,
    "aws:ec2/vpnConnection:VpnConnection": vpn_connection,
    "aws:cloudwatch/logGroup:LogGroup": log_group, "aws:kms/key:Key": key, "aws:iam/role:Role": role,
    "aws:iam/rolePolicy:RolePolicy": role_policy, "aws:iam/rolePolicyAttachment:RolePolicyAttachment": attachment,
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": attachments,
    "aws:iam/policy:Policy": policy, "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": public_access_block,
    "aws:s3/bucketPolicy:BucketPolicy": bucket_policy,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": encryption,
    "aws:s3/bucketVersioning:BucketVersioning": versioning, "aws:s3/bucketLogging:BucketLogging": logging,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": replication,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lifecycle,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ownership,
    "aws:rds/subnetGroup:SubnetGroup": subnet_group, "aws:rds/clusterParameterGroup:ClusterParameterGroup":
    parameter_group, "aws:rds/cluster:Cluster": db_cluster, "aws:rds/clusterInstance:ClusterInstance": db_instance,
    "aws:backup/vault:Vault": vault, "aws:backup/vaultLockConfiguration:VaultLockConfiguration": vault_lock,
    "aws:backup/vaultPolicy:VaultPolicy": vault_policy, "aws:backup/plan:Plan": backup_plan,
    "aws:backup/selection:Selection": selection, "aws:ecr/repository:Repository": repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": lifecycle_policy,
    "aws:ecr/repositoryPolicy:RepositoryPolicy": repository_policy,
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": scanning,
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": registry_replication,
    "aws:ecs/cluster:Cluster": cluster, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders":
    capacity_providers, "aws:ecs/taskDefinition:TaskDefinition": task_definition, "aws:ecs/service:Service": service,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer, "aws:lb/targetGroup:TargetGroup": target_group,
    "aws:lb/listener:Listener": listener, "aws:lb/listenerRule:ListenerRule": listener_rule,
    "aws:appautoscaling/target:Target": scalable_target, "aws:appautoscaling/policy:Policy": scaling_policy,
    "aws:cloudwatch/metricAlarm:MetricAlarm": alarm, "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": event_target, "aws:sns/topic:Topic": topic,
    "aws:sns/topicPolicy:TopicPolicy": topic_policy, "aws:sns/topicSubscription:TopicSubscription": subscription,
    "aws:cloudtrail/trail:Trail": trail, "aws:ssm/parameter:Parameter": parameter, "aws:route53/zone:Zone": zone,
    "aws:route53/healthCheck:HealthCheck": health_check, "aws:route53/record:Record": record,
    "aws:route53/resolverEndpoint:ResolverEndpoint": resolver_endpoint,
}
APPLIED = frozenset(WRITERS)
