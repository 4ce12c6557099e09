"""Pulumi mocks that answer like AWS.

IDs carry the right prefixes (`vpc-`, `subnet-`, `eipalloc-`...), ARNs carry partition, region and
account, EIPs get addresses from the documentation ranges, and everything is derived from a hash
of the resource's URN, so the same stack file always gives the same plan. In preview mode nothing
computed is returned, exactly as `pulumi preview` of a new stack sees it: inputs only, ids unknown.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
from collections.abc import Callable
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

from components.regions import zone_id_prefix, zones_of

ProviderOutputs = Callable[["AwsMocks", MockResourceArgs, str], dict[str, Any]]

# type token -> (id prefix or None for name-like ids, ARN service/resource path or None)
ID_PREFIXES: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:ec2/route:Route": "r-rtb-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/networkAcl:NetworkAcl": "acl-",
    "aws:ec2/customerGateway:CustomerGateway": "cgw-",
    "aws:ec2/vpnGateway:VpnGateway": "vgw-",
    "aws:ec2/vpnConnection:VpnConnection": "vpn-",
    "aws:route53/resolverEndpoint:ResolverEndpoint": "rslvr-in-",
}
ARN_PATHS: dict[str, tuple[str, str]] = {
    "aws:ec2/vpc:Vpc": ("ec2", "vpc/"),
    "aws:ec2/subnet:Subnet": ("ec2", "subnet/"),
    "aws:ec2/routeTable:RouteTable": ("ec2", "route-table/"),
    "aws:ec2/internetGateway:InternetGateway": ("ec2", "internet-gateway/"),
    "aws:ec2/eip:Eip": ("ec2", "elastic-ip/"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "security-group/"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("ec2", "security-group/"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("ec2", "security-group-rule/"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("ec2", "security-group-rule/"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2", "vpc-endpoint/"),
    "aws:ec2/flowLog:FlowLog": ("ec2", "vpc-flow-log/"),
    "aws:ec2/natGateway:NatGateway": ("ec2", "natgateway/"),
}
STACK_REFERENCE = "pulumi:pulumi:StackReference"
NAMED_BY = {
    "aws:backup/vault:Vault": "name",
    "aws:rds/cluster:Cluster": "clusterIdentifier",
    "aws:rds/clusterInstance:ClusterInstance": "identifier",
    "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:ssm/parameter:Parameter": "name",
}
DOC_RANGES = [ipaddress.IPv4Network("198.51.100.0/24"), ipaddress.IPv4Network("203.0.113.0/24")]


OFFLINE_PLACEHOLDER = "offline"  # marks a value only the live account can tell (e.g. the newest DR snapshot)
# Elastic Load Balancing's hosted zone per region, for alias records (https://docs.aws.amazon.com/general/latest/gr/elb.html)
ELB_HOSTED_ZONES = {"us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-1": "Z368ELLRRE2KJ0",
                    "us-west-2": "Z1H1FL5HABSF5", "eu-west-1": "Z32O12XQLNTSW2", "eu-central-1": "Z215JYRZR1TBD5",
                    "sa-east-1": "Z2P70J7HTTTPLU"}
BLACKOUT = "blackout!"  # prefix of every value a blacked-out region answers (`AwsMocks.blackout`)
LOST_REGION_CALL = " (asked of the blacked-out region)"  # suffix of such an invoke in `Capture.invokes`
# Services with no region (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html);
# Route 53 Resolver is regional.
GLOBAL_MODULES = frozenset({"iam", "cloudfront", "organizations", "globalaccelerator", "budgets"})


def global_type(typ: str) -> bool:
    """A resource of a global service: a regional outage does not take what it already made."""
    module = typ.split(":")[1].split("/")[0] if typ.count(":") >= 2 else ""
    if module == "route53":
        return not typ.split("/")[1].startswith("resolver")
    return module in GLOBAL_MODULES


def poisoned(value: Any) -> Any:
    """A value as a blacked-out region answers it: every string marked, so any use of it can be found."""
    if isinstance(value, str):
        return value if value.startswith(BLACKOUT) else f"{BLACKOUT}{value}"
    if isinstance(value, dict):
        return {k: poisoned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [poisoned(v) for v in value]
    return value


class AwsMocks(Mocks):
    """Deterministic AWS-shaped answers for one stack (its region and tenant account).

    `blackout`: a region whose every answer (ids, computed attributes, invokes) is marked with `BLACKOUT`,
    as if the region were lost. A resource of another region whose inputs hold a marked value could not be
    created or run during that region's outage (`connectctl.engine.blackout`).
    """

    def __init__(self, region: str, account_id: str, preview: bool,
                 references: dict[str, dict[str, Any]] | None = None, blackout: str | None = None) -> None:
        self.region = region
        self.account_id = account_id
        self.preview = preview
        self.blackout = blackout
        self.references = references or {}
        self.calls: list[str] = []
        self.provider_regions: dict[str, str] = {}
        # What the mocks created, so an attribute naming another resource is that resource's own id (a load
        # balancer's `vpcId` is its subnets' VPC). Shared by the regional views (`copy.copy` keeps the dict).
        self.vpc_of_subnet: dict[str, str] = {}
        self.cidr_of_subnet: dict[str, str] = {}  # where an endpoint's addresses come from

    def in_region_of(self, provider_reference: str | None) -> AwsMocks:
        """These mocks answering for the region of an explicit provider (`<urn>::<id>`), e.g. the DR one."""
        region = self.provider_regions.get((provider_reference or "").rsplit("::", 1)[-1], self.region)
        if region == self.region:
            return self
        view = copy.copy(self)
        view.region = region
        return view

    def _digest(self, *parts: str) -> str:
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()

    def hex_id(self, args: MockResourceArgs, length: int = 17) -> str:
        """A stable hex string for a resource, from its type and logical name."""
        return self._digest(args.typ, args.name)[:length]

    def physical_name(self, args: MockResourceArgs) -> str:
        """Auto-name as the provider would: logical name, a hyphen and seven random characters."""
        return f"{args.name}-{self._digest('name', args.typ, args.name)[:7]}"

    def doc_ip(self, args: MockResourceArgs) -> str:
        """A public address from the documentation ranges, never a real one."""
        n = int(self._digest("ip", args.typ, args.name)[:8], 16)
        net = DOC_RANGES[n % 2]
        return str(net[1 + (n >> 1) % 253])

    def zone_id_prefix(self) -> str:
        """Zone-id prefix of the region as AWS writes it (us-east-1 -> use1)."""
        return zone_id_prefix(self.region)

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        """An ARN of the tenant account."""
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id}:{resource}"

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """Echo the inputs; outside preview add the computed attributes AWS would return."""
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            # Known ids in both modes (the engine configures providers during preview too), one per provider,
            # so resources and invokes can be answered in the provider's own region.
            provider_id = self._digest("provider", args.name)[:36]
            self.provider_regions[provider_id] = str(inputs.get("region") or self.region)
            return provider_id, inputs
        if args.typ == STACK_REFERENCE:  # outputs of the referenced stack, planned from its stack file
            name = str(args.inputs.get("name") or args.resource_id)
            return name, {"name": name, "outputs": self.references.get(name, {}), "secretOutputNames": []}
        if args.custom is False and not args.resource_id:  # components: no id, nothing computed
            return "", inputs
        regional = self.in_region_of(args.provider)
        if args.resource_id:  # a read (`Resource.get`): the resource exists, its id is given
            return regional._answer(args.typ, args.resource_id, inputs, regional._computed(args, args.resource_id))
        if self.preview:
            return None, inputs
        resource_id = regional._resource_id(args)
        if args.typ == "aws:ec2/subnet:Subnet" and isinstance(inputs.get("vpcId"), str):
            self.vpc_of_subnet[resource_id] = str(inputs["vpcId"])
        if args.typ == "aws:ec2/subnet:Subnet" and isinstance(inputs.get("cidrBlock"), str):
            self.cidr_of_subnet[resource_id] = str(inputs["cidrBlock"])
        return regional._answer(args.typ, resource_id, inputs, regional._computed(args, resource_id))

    def _answer(self, typ: str, resource_id: str, inputs: dict[str, Any],
                computed: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The provider's answer; what AWS computes is marked when this region is blacked out, except for global
        services (IAM, Route 53): what they made before the outage stays usable from every region."""
        if self.blackout is not None and self.region == self.blackout and not global_type(typ):
            return poisoned(resource_id), {**inputs, **poisoned(computed)}
        return resource_id, {**inputs, **computed}

    def _resource_id(self, args: MockResourceArgs) -> str:
        if args.typ in VPC_DEFAULTS:  # adopts the VPC's own default: its id is the VPC's attribute
            attribute, prefix, seed = VPC_DEFAULTS[args.typ]
            given = args.inputs.get(attribute)
            if given:
                return str(given)
            return vpc_default_id(self, prefix, seed, str(args.inputs.get("vpcId") or ""))
        if args.typ in ID_PREFIXES:
            return ID_PREFIXES[args.typ] + self.hex_id(args)
        if args.typ == "aws:route53/zone:Zone":
            return "Z" + self.hex_id(args, 20).upper()
        if args.typ == "aws:route53/healthCheck:HealthCheck" or args.typ == "aws:kms/key:Key":
            h = self.hex_id(args, 32)
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
        if args.typ == "aws:cloudwatch/logGroup:LogGroup":
            return str(args.inputs.get("name") or self.physical_name(args))
        if args.typ == "aws:kms/alias:Alias":
            return str(args.inputs.get("name"))
        if args.typ == "aws:iam/role:Role":
            return str(args.inputs.get("name") or self.physical_name(args))
        if args.typ == "aws:s3/bucket:Bucket":
            return str(args.inputs.get("bucket") or self.physical_name(args))
        if args.typ in NAMED_BY:  # resources whose id is one of their inputs (a name or identifier)
            return str(args.inputs.get(NAMED_BY[args.typ]) or self.physical_name(args))
        if args.typ == "aws:ecr/repository:Repository":
            return str(args.inputs.get("name") or self.physical_name(args))
        if args.typ in ("aws:ecs/cluster:Cluster", "aws:ecs/service:Service"):
            return self.arn("ecs", f"{args.typ.split(':')[-1].lower()}/{args.inputs.get('name')}")
        if args.typ == "aws:sns/topic:Topic":
            return self.arn("sns", str(args.inputs.get("name") or self.physical_name(args)))
        if args.typ == "aws:appautoscaling/target:Target":
            return str(args.inputs.get("resourceId") or self.physical_name(args))
        if args.typ == "aws:iam/rolePolicy:RolePolicy":
            return f"{args.inputs.get('role')}:{self.physical_name(args)}"
        return self.physical_name(args)

    def _computed(self, args: MockResourceArgs, resource_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"id": resource_id}
        if args.typ in ARN_PATHS:
            service, path = ARN_PATHS[args.typ]
            out["arn"] = self.arn(service, path + resource_id)
        if args.typ in ID_PREFIXES or args.typ.startswith("aws:ec2/"):
            out["ownerId"] = self.account_id
        if "tags" in args.inputs:
            out["tagsAll"] = args.inputs.get("tags") or {}
        extra = COMPUTED.get(args.typ)
        if extra:
            out.update(extra(self, args, resource_id))
        return out

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        """Answer the invokes the program makes; an unknown one is an error, not a silent empty result."""
        regional = self.in_region_of(args.provider)
        if regional is not self:
            return regional.call(args)
        if self.blackout is not None and self.region == self.blackout:
            # Recorded as asked of the lost region: a declared failover asks it nothing (tests/components/test_dns.py)
            self.calls.append(f"{args.token}{LOST_REGION_CALL}")
            return poisoned(self._invoke(args))
        self.calls.append(args.token)
        return self._invoke(args)

    def _invoke(self, args: MockCallArgs) -> dict[str, Any]:
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = zones_of(self.region)
            ids = [f"{self.zone_id_prefix()}-az{ord(n[-1]) - 96}" for n in names]
            return {"names": names, "zoneIds": ids, "groupNames": [self.region] * len(names), "id": self.region}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": self.account_id, "arn": self.arn("iam", "user/connect", region=False),
                    "userId": "AIDAMOCK", "id": self.account_id}
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if args.token == "aws:rds/getClusterSnapshot:getClusterSnapshot":
            # `connect:dr.restoreFrom: latest`: which copy is newest is only known live (`connectctl dr verify`);
            # offline it is a placeholder of the shape AWS Backup's copies have, in the asked region.
            cluster = str(args.args.get("dbClusterIdentifier") or "")
            snapshot = f"awsbackup:copyjob-{OFFLINE_PLACEHOLDER}-{self._digest('snap', cluster)[:8]}"
            return {"id": snapshot, "dbClusterIdentifier": cluster, "dbClusterSnapshotIdentifier": snapshot,
                    "dbClusterSnapshotArn": self.arn("rds", f"cluster-snapshot:{snapshot}"),
                    "snapshotType": "awsbackup", "status": "available", "storageEncrypted": True,
                    "engine": "aurora-postgresql", "availabilityZones": zones_of(self.region)}
        raise NotImplementedError(f"the offline engine has no answer for invoke {args.token}")


def vpc_default_id(m: AwsMocks, prefix: str, seed: str, vpc_id: str) -> str:
    """The id of a VPC's default security group, network ACL or route table: one function for the VPC's
    attribute and for the resource that adopts it (`aws.ec2.DefaultSecurityGroup(vpc_id=...)`)."""
    return prefix + m._digest(seed, vpc_id)[:17]


# Types that adopt a VPC's default: (the input naming it directly, its id prefix, the digest seed).
VPC_DEFAULTS: dict[str, tuple[str, str, str]] = {
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("", "sg-", "dsg"),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": ("defaultNetworkAclId", "acl-", "acl"),
    "aws:ec2/defaultRouteTable:DefaultRouteTable": ("defaultRouteTableId", "rtb-", "drt"),
}


def _vpc(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {
        "defaultSecurityGroupId": vpc_default_id(m, "sg-", "dsg", rid),
        "defaultNetworkAclId": vpc_default_id(m, "acl-", "acl", rid),
        "defaultRouteTableId": vpc_default_id(m, "rtb-", "drt", rid),
        "mainRouteTableId": vpc_default_id(m, "rtb-", "drt", rid),
        "dhcpOptionsId": "dopt-" + m._digest("dopt", rid)[:17],
        "instanceTenancy": "default",
    }


def _subnet(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    zone = str(a.inputs.get("availabilityZone") or "")
    return {"availabilityZoneId": f"{m.zone_id_prefix()}-az{ord(zone[-1]) - 96}" if zone else ""}


def _eip(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    ip = m.doc_ip(a)
    return {"allocationId": rid, "publicIp": ip, "domain": "vpc",
            "publicDns": f"ec2-{ip.replace('.', '-')}.compute-1.amazonaws.com"}


def _nat(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"networkInterfaceId": "eni-" + m._digest("eni", rid)[:17]}


def _kms_key(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"keyId": rid, "arn": m.arn("kms", f"key/{rid}")}


def _alias(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": m.arn("kms", str(a.inputs.get("name", rid))), "targetKeyArn": m.arn("kms", "key/target")}


def _log_group(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"name": rid, "arn": m.arn("logs", f"log-group:{rid}")}


def _role(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"name": rid, "arn": m.arn("iam", f"role/{rid}", region=False),
            "uniqueId": "AROA" + m._digest("role", rid)[:17].upper()}


def _endpoint(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    out: dict[str, Any] = {"state": "available"}
    if a.inputs.get("vpcEndpointType") == "Interface":
        out["networkInterfaceIds"] = ["eni-" + m._digest("eni", rid, str(i))[:17] for i in range(3)]
        out["dnsEntries"] = [{"dnsName": f"{rid}.{a.inputs.get('serviceName', '')}.vpce.amazonaws.com"}]
    return out


def _repository(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    name = str(a.inputs.get("name") or rid)
    return {"name": name, "arn": m.arn("ecr", f"repository/{name}"), "registryId": m.account_id,
            "repositoryUrl": f"{m.account_id}.dkr.ecr.{m.region}.amazonaws.com/{name}"}


def _registry_singleton(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"registryId": m.account_id}


def _cluster(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    name = str(a.inputs.get("name") or rid)
    return {"name": name, "arn": m.arn("ecs", f"cluster/{name}")}


def _load_balancer(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    name = str(a.inputs.get("name") or m.physical_name(a))[:32]
    suffix = f"app/{name}/{m._digest('lb', rid)[:16]}"
    return {"name": name, "arn": m.arn("elasticloadbalancing", f"loadbalancer/{suffix}"), "arnSuffix": suffix,
            "dnsName": f"internal-{name}-{int(m._digest('dns', rid)[:8], 16)}.{m.region}.elb.amazonaws.com",
            "zoneId": ELB_HOSTED_ZONES.get(m.region, "Z35SXDOTRQ7X7K"), "vpcId": _vpc_of_subnets(m, a)}


def _vpc_of_subnets(m: AwsMocks, a: MockResourceArgs) -> str:
    """A load balancer lives in its subnets' VPC (all of them in one VPC: AWS refuses otherwise)."""
    subnets = [s for s in a.inputs.get("subnets") or [] if isinstance(s, str)]
    vpcs = {m.vpc_of_subnet[s] for s in subnets if s in m.vpc_of_subnet}
    return vpcs.pop() if len(vpcs) == 1 else ""


def _target_group(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    name = (str(a.inputs.get("namePrefix") or "tg-") + m._digest("tg", rid))[:32]
    suffix = f"targetgroup/{name}/{m._digest('tgs', rid)[:16]}"
    return {"name": name, "arn": m.arn("elasticloadbalancing", suffix), "arnSuffix": suffix}


def _arn_id(service: str, kind: str) -> ProviderOutputs:
    def computed(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
        return {"arn": m.arn(service, f"{kind}/{rid}")}
    return computed


def _task_definition(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    family = str(a.inputs.get("family") or rid)
    return {"arn": m.arn("ecs", f"task-definition/{family}:1"), "revision": 1,
            "arnWithoutRevision": m.arn("ecs", f"task-definition/{family}")}


def _ecs_service(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    name = str(a.inputs.get("name") or rid)
    return {"name": name, "arn": m.arn("ecs", f"service/{name}")}


def _bucket(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    name = str(a.inputs.get("bucket") or rid)
    return {"bucket": name, "arn": f"arn:aws:s3:::{name}", "bucketDomainName": f"{name}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{name}.s3.{m.region}.amazonaws.com", "region": m.region}


def _vpn_connection(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    """Tunnel endpoints from the documentation ranges; generated keys when none were given."""
    out: dict[str, Any] = {"arn": m.arn("ec2", f"vpn-connection/{rid}")}
    for number in (1, 2):
        out[f"tunnel{number}Address"] = m.doc_ip(MockResourceArgs(a.typ, f"{a.name}-tunnel{number}", {}))
        out[f"tunnel{number}CgwInsideAddress"] = "169.254.0.2"
        out[f"tunnel{number}VgwInsideAddress"] = "169.254.0.1"
        if not a.inputs.get(f"tunnel{number}PresharedKey"):
            out[f"tunnel{number}PresharedKey"] = "generated_" + m._digest("psk", rid, str(number))[:22]
    out["customerGatewayConfiguration"] = (
        f"<vpn_connection id=\"{rid}\"><ipsec_tunnel>{out['tunnel1Address']}</ipsec_tunnel>"
        f"<ipsec_tunnel>{out['tunnel2Address']}</ipsec_tunnel></vpn_connection>")
    return out


def _backup_vault(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"name": rid, "arn": m.arn("backup", f"backup-vault:{rid}"), "recoveryPoints": 0}


def _backup_plan(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": m.arn("backup", f"backup-plan:{rid}"), "version": m._digest("version", rid)[:32]}


def _file_system(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": m.arn("elasticfilesystem", f"file-system/{rid}"), "dnsName": f"{rid}.efs.{m.region}.amazonaws.com"}


def _rds_cluster(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    suffix = m._digest("cluster", rid)[:12]
    return {"arn": m.arn("rds", f"cluster:{rid}"), "clusterResourceId": f"cluster-{suffix.upper()}",
            "endpoint": f"{rid}.cluster-{suffix}.{m.region}.rds.amazonaws.com",
            "readerEndpoint": f"{rid}.cluster-ro-{suffix}.{m.region}.rds.amazonaws.com", "port": 5432}


def _hosted_zone(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"zoneId": rid, "arn": f"arn:aws:route53:::hostedzone/{rid}", "primaryNameServer": "ns-0.awsdns.internal",
            "nameServers": []}


def _health_check(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"arn": f"arn:aws:route53:::healthcheck/{rid}"}


def _resolver_endpoint(m: AwsMocks, a: MockResourceArgs, rid: str) -> dict[str, Any]:
    """Each requested address gets the 10th host of its subnet (AWS picks a free one), and an interface id."""
    addresses = []
    for index, requested in enumerate(a.inputs.get("ipAddresses") or []):
        subnet = str(requested.get("subnetId") or "")
        block = m.cidr_of_subnet.get(subnet)
        ip = requested.get("ip") or (str(ipaddress.IPv4Network(block)[10]) if block else f"10.255.0.{10 + index}")
        addresses.append({**requested, "ip": ip, "ipId": f"rni-{m._digest('rni', rid, subnet)[:17]}"})
    vpc = next((m.vpc_of_subnet[str(r.get("subnetId"))] for r in addresses if str(r.get("subnetId")) in
                m.vpc_of_subnet), "")
    return {"arn": m.arn("route53resolver", f"resolver-endpoint/{rid}"), "ipAddresses": addresses,
            "hostVpcId": vpc}


COMPUTED: dict[str, ProviderOutputs] = {
    "aws:route53/zone:Zone": _hosted_zone,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53/resolverEndpoint:ResolverEndpoint": _resolver_endpoint,
    "aws:backup/vault:Vault": _backup_vault,
    "aws:backup/plan:Plan": _backup_plan,
    "aws:efs/fileSystem:FileSystem": _file_system,
    "aws:efs/accessPoint:AccessPoint": _arn_id("elasticfilesystem", "access-point"),
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/clusterInstance:ClusterInstance": lambda m, a, rid: {"arn": m.arn("rds", f"db:{rid}")},
    "aws:rds/subnetGroup:SubnetGroup": lambda m, a, rid: {"arn": m.arn("rds", f"subgrp:{rid}")},
    "aws:ssm/parameter:Parameter": lambda m, a, rid: {"arn": m.arn("ssm", f"parameter{rid}")},
    "aws:sns/topicSubscription:TopicSubscription": lambda m, a, rid: {"arn": m.arn("sns", f"alerts:{rid}")},
    "aws:ec2/vpnConnection:VpnConnection": _vpn_connection,
    "aws:ec2/customerGateway:CustomerGateway": _arn_id("ec2", "customer-gateway"),
    "aws:ec2/vpnGateway:VpnGateway": _arn_id("ec2", "vpn-gateway"),
    "aws:sns/topic:Topic": lambda m, a, rid: {"arn": m.arn("sns", str(a.inputs.get("name") or rid))},
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda m, a, rid: {"arn": m.arn("cloudwatch", f"alarm:{rid}")},
    "aws:ecr/repository:Repository": _repository,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _registry_singleton,
    "aws:ecr/repositoryPolicy:RepositoryPolicy": _registry_singleton,
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": _registry_singleton,
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": _registry_singleton,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _ecs_service,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _arn_id("elasticloadbalancing", "listener/app"),
    "aws:lb/listenerRule:ListenerRule": _arn_id("elasticloadbalancing", "listener-rule/app"),
    "aws:appautoscaling/policy:Policy": _arn_id("autoscaling", "scalingPolicy"),
    "aws:s3/bucket:Bucket": _bucket,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _alias,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _role,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _endpoint,
}
