"""`unmanaged-resources`: what is in the tenant account that no stack of the client owns.

A hand-made security-group rule, an instance started for "a quick test", an Elastic IP put on a task's network
interface: none of them is in any stack, so `pulumi preview` never shows them and the policy pack never judges
them. This check lists the account, in every region the stack uses (its region and its DR region), through the
Resource Groups Tagging API and the EC2 list calls for what the Tagging API cannot find (it returns only tagged
resources, and no security-group rule as such), and reports each one that is not the stack's, by type and ARN.

What the stack owns comes from its own offline plan (update mode), judged by what a resource is, never by its tags
(anyone can copy tags onto a resource; `connect:client` on a console-made group proves nothing):

* a security group is the stack's when it lies in the stack's VPC and has the description of a group the plan
  declares there (descriptions cannot be changed after creation), or is the VPC's default group;
* a security-group rule, when its group is the stack's and the plan declares that rule on that group: direction,
  protocol, ports and peer (a CIDR, a prefix list, or a group of the stack, by its description);
* an instance, when the plan declares one in that VPC with the same type and image (the platform runs on Fargate
  and declares none);
* a network interface, when AWS made it for a service (requester-managed: tasks, load balancers, endpoints,
  databases, file systems), it is a NAT gateway's, or it belongs to an instance (judged as the instance);
* an Elastic IP, when it is on a NAT gateway of the stack, or is one the stack file names
  (`egressIpAllocationIds`, or the promise `egressIps`); every other one is reported, on a task's interface or
  anywhere else.

Scope, so that each resource is judged by exactly one audit: an environment stack judges what lies in its VPCs and
what is tagged for it anywhere in its regions; the account stack judges what lies outside every environment's VPC
in the regions of the client's stacks (instances, interfaces, Elastic IPs, security groups other than AWS's default
ones), and what is tagged for an environment of the client that has no stack file (the leftovers of a removed
environment).

Leftovers a person decided to keep go in a reviewed list, `<stack config dir>/audit-allowed.<client>.yaml`, each
with its reason, reviewer and expiry date (judged by components/clock.py). Only this check reads it: nothing
waives `nat-egress-ips`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from connectctl.audit.context import AuditContext, paginate
from connectctl.audit.model import AuditError, Finding, Outcome

CHECK = "unmanaged-resources"
INSTANCE, EIP, ENI = "AWS::EC2::Instance", "AWS::EC2::EIP", "AWS::EC2::NetworkInterface"
GROUP, RULE = "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupRule"
TYPES = (INSTANCE, EIP, ENI, GROUP, RULE)
# Tagging API resource types (service:resourceType) of what this check judges.
TAGGED_TYPES = ["ec2:instance", "ec2:security-group", "ec2:network-interface", "ec2:elastic-ip"]
ARN_TYPES = {"instance": INSTANCE, "security-group": GROUP, "network-interface": ENI, "elastic-ip": EIP}
ALLOWED_FILE = "audit-allowed.{client}.yaml"
ALLOWED_KEYS = ("type", "arn", "id", "reason", "reviewedBy", "expires")
LIVE_INSTANCES = ["pending", "running", "stopping", "stopped"]
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG_RULES = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC = "aws:ec2/vpc:Vpc"
EC2_INSTANCE = "aws:ec2/instance:Instance"
DEFAULT = "(the VPC's default group)"
PROTOCOLS = {"-1": "-1", "all": "-1", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


# --- the reviewed list of allowed leftovers ------------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """One reviewed leftover: which resource (type and ARN or id, `*` wildcards), why, who, until when."""

    index: int
    type: str
    pattern: str
    by_arn: bool
    reason: str
    reviewed_by: str
    expires: date

    def matches(self, finding: Finding) -> bool:
        """Same type, and the ARN (or the id) matches the pattern."""
        target = finding.arn if self.by_arn else finding.resource_id
        return finding.resource_type == self.type and target is not None and fnmatch.fnmatchcase(target, self.pattern)


def allowed_path(ctx: AuditContext) -> Path:
    """Where the client's reviewed list lives: beside its stack files."""
    return _project(ctx).stack_config_dir / ALLOWED_FILE.format(client=ctx.cfg.tenant.client)


def load_allowances(path: Path) -> list[Allowance]:
    """The reviewed list, validated; a missing file is an empty list. Problems are AuditErrors naming the file,
    the entry's field path and what is allowed (exit 2)."""
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"{path}: cannot read the allowed-leftovers list: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise AuditError(f"{path}: not YAML{where}: {getattr(exc, 'problem', exc)}") from None
    shape = "a mapping with `allowed:`, a list of {type, arn or id, reason, reviewedBy, expires}"
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) != {"allowed"} or not isinstance(data["allowed"], list | None):
        raise AuditError(f"{path}: expected {shape}")
    found = []
    for index, entry in enumerate(data["allowed"] or []):
        where = f"{path}: allowed[{index}]"
        if not isinstance(entry, dict):
            raise AuditError(f"{where}: {type(entry).__name__}, expected a mapping with {', '.join(ALLOWED_KEYS)}")
        unknown = sorted(str(k) for k in entry if k not in ALLOWED_KEYS)
        if unknown:
            raise AuditError(f"{where}.{unknown[0]}: unknown key; allowed keys: {', '.join(ALLOWED_KEYS)}")
        for key in ("type", "reason", "reviewedBy", "expires"):
            if entry.get(key) in (None, ""):
                raise AuditError(f"{where}.{key}: required; every allowed leftover says what it is, why it stays, "
                                 "who reviewed it and until when")
        if entry["type"] not in TYPES:
            raise AuditError(f"{where}.type: {entry['type']!r}; allowed: {', '.join(TYPES)}")
        if ("arn" in entry) == ("id" in entry):
            raise AuditError(f"{where}: give arn or id (one of them), a value or a pattern with * wildcards")
        key = "arn" if "arn" in entry else "id"
        pattern = entry[key]
        if not isinstance(pattern, str) or not pattern.strip("*"):
            raise AuditError(f"{where}.{key}: {pattern!r}; allowed: an {key} or a pattern with * wildcards that is "
                             "not only wildcards")
        for text_key in ("reason", "reviewedBy"):
            if not isinstance(entry[text_key], str) or len(entry[text_key].strip()) < 3:
                raise AuditError(f"{where}.{text_key}: {entry[text_key]!r}; allowed: a text of 3 characters or more")
        expires = entry["expires"]
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                expires = None
        if isinstance(expires, datetime):
            expires = expires.date()
        if not isinstance(expires, date):
            raise AuditError(f"{where}.expires: {entry['expires']!r}; allowed: a date, YYYY-MM-DD")
        found.append(Allowance(index, entry["type"], pattern, key == "arn", entry["reason"].strip(),
                               entry["reviewedBy"].strip(), expires))
    return found


# --- what the plan declares ----------------------------------------------------------------------------------

RuleKey = tuple[bool, str, int, int, str]  # egress, protocol, from port, to port, peer


def _protocol(value: Any) -> str:
    text = str(value).lower() if value is not None else "-1"
    return PROTOCOLS.get(text, text)


def _port(value: Any) -> int:
    return -1 if value in (None, "") else int(float(value))


def rule_key(egress: bool, protocol: Any, from_port: Any, to_port: Any, peer: str) -> RuleKey:
    """A rule as comparable data; all-traffic rules have no ports (AWS answers -1)."""
    proto = _protocol(protocol)
    if proto == "-1":
        return (egress, proto, -1, -1, peer)
    return (egress, proto, _port(from_port), _port(to_port), peer)


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return value


@dataclass
class PlannedVpc:
    """One VPC the plan declares: its block, its groups by description, and each group's rules."""

    region: str
    cidr: str
    groups: dict[str, set[RuleKey]] = field(default_factory=dict)  # description (or DEFAULT) -> rules
    instances: set[tuple[str, str]] = field(default_factory=set)  # (instance type, image id)


def _region_of(resource: Any) -> str:
    arn = str(resource.outputs.get("arn") or "")
    return arn.split(":")[3] if arn.count(":") >= 5 else ""


def planned_vpcs(resources: list[Any]) -> list[PlannedVpc]:
    """Every VPC of the plan with its security groups and their rules (inline, standalone and legacy forms)."""
    vpcs: dict[str, PlannedVpc] = {}
    for r in resources:
        if r.type == VPC:
            vpcs[str(r.outputs.get("id"))] = PlannedVpc(_region_of(r), _cidr(str(r.inputs.get("cidrBlock"))))
    groups: dict[str, tuple[PlannedVpc, str]] = {}  # planned group id -> (vpc, description)
    for r in resources:
        if r.type in (SG, DEFAULT_SG) and str(r.inputs.get("vpcId")) in vpcs:
            vpc = vpcs[str(r.inputs["vpcId"])]
            label = DEFAULT if r.type == DEFAULT_SG else str(r.inputs.get("description") or "Managed by Pulumi")
            vpc.groups.setdefault(label, set())
            groups[str(r.outputs.get("id"))] = (vpc, label)

    def peer_of(group: str | None = None, cidr4: str | None = None, cidr6: str | None = None,
                prefix: str | None = None) -> str:
        if group:
            return f"group:{groups[group][1]}" if group in groups else f"group-id:{group}"
        if prefix:
            return f"prefix:{prefix}"
        return f"cidr:{_cidr(str(cidr4 or cidr6))}"

    def add(group_id: str, egress: bool, protocol: Any, low: Any, high: Any, peers: Iterable[str]) -> None:
        if group_id in groups:
            vpc, label = groups[group_id]
            vpc.groups[label] |= {rule_key(egress, protocol, low, high, p) for p in peers}

    for r in resources:
        i = r.inputs
        if r.type in SG_RULES:
            peer = peer_of(i.get("referencedSecurityGroupId"), i.get("cidrIpv4"), i.get("cidrIpv6"),
                           i.get("prefixListId"))
            add(str(i.get("securityGroupId")), r.type.endswith("EgressRule"), i.get("ipProtocol"), i.get("fromPort"),
                i.get("toPort"), [peer])
        elif r.type == LEGACY_RULE:
            group = str(i.get("securityGroupId"))
            add(group, i.get("type") == "egress", i.get("protocol"), i.get("fromPort"), i.get("toPort"),
                _inline_peers(i, group, peer_of))
        elif r.type in (SG, DEFAULT_SG):
            group = str(r.outputs.get("id"))
            for egress, rules in ((False, i.get("ingress") or []), (True, i.get("egress") or [])):
                for rule in rules:
                    add(group, egress, rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"),
                        _inline_peers(rule, group, peer_of))
        elif r.type == EC2_INSTANCE:
            subnet_vpc = next((v for v in vpcs.values() if v.region == _region_of(r)), None)
            if subnet_vpc is not None:
                subnet_vpc.instances.add((str(i.get("instanceType")), str(i.get("ami"))))
    return list(vpcs.values())


def _inline_peers(rule: dict[str, Any], group: str, peer_of: Any) -> list[str]:
    peers = [peer_of(cidr4=c) for c in rule.get("cidrBlocks") or []]
    peers += [peer_of(cidr6=c) for c in rule.get("ipv6CidrBlocks") or []]
    peers += [peer_of(prefix=p) for p in rule.get("prefixListIds") or []]
    peers += [peer_of(group=g) for g in rule.get("securityGroups") or []]
    if rule.get("sourceSecurityGroupId"):
        peers.append(peer_of(group=rule["sourceSecurityGroupId"]))
    if rule.get("self"):
        peers.append(peer_of(group=group))
    return peers


_PLANS: dict[tuple[str, ...], list[Any]] = {}


def _project(ctx: AuditContext) -> Any:
    from connectctl.engine.project import load_project

    return ctx.project if ctx.project is not None else load_project()


def planned(ctx: AuditContext) -> list[Any]:
    """The stack's offline plan in update mode, from the stack file's own project; planned once per process for
    the same files (the same stack files always give the same plan)."""
    project = _project(ctx)
    files = sorted(project.stack_config_dir.glob("*"))
    key = (str(project.root), ctx.stack, *(hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()))
    if key not in _PLANS:
        from connectctl.plan import plan_stack  # here: the engine imports pulumi (a second)

        _PLANS.clear()  # one entry is enough for an audit; tests that edit files get a fresh plan
        _PLANS[key] = plan_stack(ctx.stack, preview=False, project=project).capture.resources
    return _PLANS[key]


# --- reading the account -------------------------------------------------------------------------------------


def _tags(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value")) for t in items or []}


def tagged(ctx: AuditContext, region: str, environment: str | None = None) -> Iterator[tuple[str, dict[str, str]]]:
    """(ARN, tags) of the judged kinds tagged for the client (and `environment` when given), every page.

    GetResources returns only resources that are or were tagged, and pages with PaginationToken:
    https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
    """
    filters = [{"Key": "connect:client", "Values": [ctx.cfg.tenant.client]}]
    if environment is not None:
        filters.append({"Key": "connect:environment", "Values": [environment]})
    api = ctx.client("resourcegroupstaggingapi", region)
    for item in paginate(api, "get_resources", "ResourceTagMappingList", TagFilters=filters,
                         ResourceTypeFilters=TAGGED_TYPES):
        yield str(item["ResourceARN"]), _tags(item.get("Tags"))


def _chunks(items: list[str], size: int = 200) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class Region:
    """What one region holds of the judged kinds, read once."""

    name: str
    vpcs: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    instances: list[dict[str, Any]]
    interfaces: list[dict[str, Any]]
    addresses: list[dict[str, Any]]
    nat_interfaces: set[str]

    def rules(self, ctx: AuditContext, group_ids: list[str]) -> list[dict[str, Any]]:
        """The rules of these groups (DescribeSecurityGroupRules, every page; group-id filter by 200)."""
        ec2 = ctx.client("ec2", self.name)
        found: list[dict[str, Any]] = []
        for chunk in _chunks(sorted(group_ids)):
            found += paginate(ec2, "describe_security_group_rules", "SecurityGroupRules",
                              Filters=[{"Name": "group-id", "Values": chunk}])
        return found


def read_region(ctx: AuditContext, region: str) -> Region:
    """Every VPC, security group, live instance, network interface, Elastic IP and NAT gateway interface."""
    ec2 = ctx.client("ec2", region)
    instances = [i for reservation in paginate(ec2, "describe_instances", "Reservations",
                                               Filters=[{"Name": "instance-state-name", "Values": LIVE_INSTANCES}])
                 for i in reservation.get("Instances", [])]
    nats = paginate(ec2, "describe_nat_gateways", "NatGateways",
                    Filter=[{"Name": "state", "Values": ["pending", "available"]}])
    return Region(
        name=region,
        vpcs=list(paginate(ec2, "describe_vpcs", "Vpcs")),
        groups=list(paginate(ec2, "describe_security_groups", "SecurityGroups")),
        instances=instances,
        interfaces=list(paginate(ec2, "describe_network_interfaces", "NetworkInterfaces")),
        addresses=list(ec2.describe_addresses().get("Addresses", [])),  # not paginated: at most a few per region
        nat_interfaces={a["NetworkInterfaceId"] for nat in nats for a in nat.get("NatGatewayAddresses", [])
                        if a.get("NetworkInterfaceId")},
    )


# --- judging -------------------------------------------------------------------------------------------------


@dataclass
class Judge:
    """Findings of one audit, with the ARNs already judged (so a tagged resource is not reported twice)."""

    ctx: AuditContext
    findings: list[Finding] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    examined: int = 0

    def arn(self, region: str, resource: str) -> str:
        return self.ctx.arn("ec2", resource, region)

    def saw(self, arn: str) -> None:
        self.seen.add(arn)
        self.examined += 1

    def report(self, region: str, kind: str, resource_id: str, resource: str, message: str,
               severity: str = "high", path: str = "connect:network") -> None:
        arn = self.arn(region, resource)
        self.seen.add(arn)
        self.findings.append(Finding(CHECK, severity, resource_id, kind, message, region, arn, path))  # type: ignore[arg-type]


def _live_rule_key(rule: dict[str, Any], labels: dict[str, str]) -> RuleKey:
    if rule.get("ReferencedGroupInfo", {}).get("GroupId"):
        group = rule["ReferencedGroupInfo"]["GroupId"]
        peer = f"group:{labels[group]}" if group in labels else f"group-id:{group}"
    elif rule.get("PrefixListId"):
        peer = f"prefix:{rule['PrefixListId']}"
    else:
        peer = f"cidr:{_cidr(str(rule.get('CidrIpv4') or rule.get('CidrIpv6')))}"
    return rule_key(bool(rule.get("IsEgress")), rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"),
                    peer)


def _describe_rule(key: RuleKey) -> str:
    egress, proto, low, high, peer = key
    ports = "all traffic" if proto == "-1" else f"{proto} {low}" + (f"-{high}" if high != low else "")
    what = peer.split(":", 1)[1] if ":" in peer else peer
    return f"{'egress' if egress else 'ingress'} {ports} {'to' if egress else 'from'} {what}"


def _open_to_world(key: RuleKey) -> bool:
    return not key[0] and key[4] in ("cidr:0.0.0.0/0", "cidr:::/0")


def judge_vpc(judge: Judge, live: Region, vpc_id: str, plan: PlannedVpc | None, what: str) -> None:
    """Groups, their rules, instances, interfaces and Elastic IPs in one VPC of the stack."""
    region = live.name
    groups = [g for g in live.groups if g.get("VpcId") == vpc_id]
    declared = plan.groups if plan is not None else {}
    owned: dict[str, str] = {}  # live group id -> label
    for group in sorted(groups, key=lambda g: str(g["GroupId"])):
        group_id = str(group["GroupId"])
        label = DEFAULT if group.get("GroupName") == "default" else str(group.get("Description", ""))
        judge.saw(judge.arn(region, f"security-group/{group_id}"))
        if label in declared and label not in owned.values():
            owned[group_id] = label
            continue
        judge.report(region, GROUP, group_id, f"security-group/{group_id}",
                     f"security group {group_id} ({group.get('GroupName')}: {group.get('Description', '')}) in "
                     f"{what} {vpc_id} is declared by no stack of {judge.ctx.cfg.tenant.client}: made outside "
                     "Pulumi; delete it (and what uses it), or declare it in the program")
    labels = {group_id: label for group_id, label in owned.items()}
    for rule in live.rules(judge.ctx, list(owned)) if owned else []:
        group_id, rule_id = str(rule["GroupId"]), str(rule["SecurityGroupRuleId"])
        if group_id not in owned:
            continue
        judge.saw(judge.arn(region, f"security-group-rule/{rule_id}"))
        key = _live_rule_key(rule, labels)
        if key in declared[owned[group_id]]:
            continue
        shown = owned[group_id]
        judge.report(region, RULE, rule_id, f"security-group-rule/{rule_id}",
                     f"security group rule {rule_id} of {group_id} ({shown}) in {what} {vpc_id}: "
                     f"{_describe_rule(key)}, which no stack of {judge.ctx.cfg.tenant.client} declares (a hand-made "
                     "rule); revoke it, or declare it in the program",
                     "critical" if _open_to_world(key) else "high")
    instances = [i for i in live.instances if i.get("VpcId") == vpc_id]
    wanted = set(plan.instances) if plan is not None else set()
    for instance in sorted(instances, key=lambda i: str(i["InstanceId"])):
        instance_id = str(instance["InstanceId"])
        judge.saw(judge.arn(region, f"instance/{instance_id}"))
        kind = (str(instance.get("InstanceType")), str(instance.get("ImageId")))
        if kind in wanted:
            wanted.discard(kind)
            continue
        name = _tags(instance.get("Tags")).get("Name")
        judge.report(region, INSTANCE, instance_id, f"instance/{instance_id}",
                     f"instance {instance_id}{f' ({name})' if name else ''}, {kind[0]} from {kind[1]}, "
                     f"{instance.get('State', {}).get('Name', '?')} in {what} {vpc_id}: the platform runs no "
                     f"instance and no stack of {judge.ctx.cfg.tenant.client} declares it; terminate it (snapshot "
                     "its volumes first if it is evidence)")
    interfaces = {str(e["NetworkInterfaceId"]): e for e in live.interfaces if e.get("VpcId") == vpc_id}
    for eni_id, eni in sorted(interfaces.items()):
        judge.saw(judge.arn(region, f"network-interface/{eni_id}"))
        if (eni_id in live.nat_interfaces or eni.get("RequesterManaged")
                or eni.get("Attachment", {}).get("InstanceId")):
            continue
        judge.report(region, ENI, eni_id, f"network-interface/{eni_id}",
                     f"network interface {eni_id} ({eni.get('Description') or eni.get('InterfaceType', 'interface')})"
                     f" in {eni.get('SubnetId', vpc_id)} of {what} {vpc_id} was made by hand: no AWS service "
                     "requested it for a resource of the stack; delete it")
    instance_ids = {str(i["InstanceId"]) for i in instances}
    for address in live.addresses:
        on_eni, on_instance = address.get("NetworkInterfaceId"), address.get("InstanceId")
        if on_eni not in interfaces and on_instance not in instance_ids:
            continue
        allocation = str(address.get("AllocationId"))
        judge.saw(judge.arn(region, f"elastic-ip/{allocation}"))
        if on_eni in live.nat_interfaces:
            continue  # a NAT gateway's: nat-egress-ips judges whether it is the address the client allow-lists
        holder = interfaces.get(str(on_eni), {})
        on = (f"network interface {on_eni} ({holder.get('Description') or holder.get('InterfaceType', '')})"
              if on_eni else f"instance {on_instance}")
        judge.report(region, EIP, allocation, f"elastic-ip/{allocation}",
                     f"Elastic IP {address.get('PublicIp')} ({allocation}) is on {on} in {what} {vpc_id}: the stack "
                     "gives public addresses to its NAT gateways only; disassociate and release it",
                     "critical")


def _stack_vpc(ctx: AuditContext, live: Region, plan: PlannedVpc) -> tuple[str | None, str]:
    """The live VPC of a planned one: the audit's VPC in the primary region; elsewhere the one with the planned block
    (the tagged one when several share it)."""
    if live.name == ctx.region:
        return ctx.vpc_id(), "the VPC"
    same = [v for v in live.vpcs if _cidr(str(v.get("CidrBlock"))) == plan.cidr]
    if len(same) > 1:
        same = [v for v in same if ctx.owns(_tags(v.get("Tags")))] or same[:0]
    return (str(same[0]["VpcId"]) if len(same) == 1 else None), "the DR VPC"


def _promised(cfg: Any) -> tuple[set[str], set[str]]:
    """Allocation ids and IPs a stack file names as its egress EIPs (kept even when no NAT gateway uses them)."""
    network = cfg.network
    if network is None:
        return set(), set()
    allocations = network.egress_ip_allocation_ids
    ids = set(allocations.values()) if isinstance(allocations, dict) else set(allocations)
    return ids, set(network.egress_ips.values())


def _judge_unassociated(judge: Judge, live: Region, addresses: Iterable[dict[str, Any]], ids: set[str],
                        ips: set[str], why: str) -> None:
    for address in addresses:
        allocation = str(address.get("AllocationId"))
        arn = judge.arn(live.name, f"elastic-ip/{allocation}")
        if arn in judge.seen:
            continue
        judge.saw(arn)
        if allocation in ids or address.get("PublicIp") in ips:
            continue
        judge.report(live.name, EIP, allocation, f"elastic-ip/{allocation}",
                     f"Elastic IP {address.get('PublicIp')} ({allocation}) {why}: no stack of "
                     f"{judge.ctx.cfg.tenant.client} declares or names it; release it (it costs money and may be "
                     "allow-listed somewhere)")


def judge_environment(judge: Judge, regions: dict[str, Region]) -> list[str]:
    """An environment stack: its VPCs, and what is tagged for it elsewhere in its regions. Returns notes."""
    ctx, notes = judge.ctx, []
    plans = planned_vpcs(planned(ctx))
    for plan in plans:
        live = regions.get(plan.region)
        if live is None:
            continue
        vpc_id, what = _stack_vpc(ctx, live, plan)
        if vpc_id is None:
            notes.append(f"no VPC {plan.cidr} in {plan.region}")
            continue
        judge_vpc(judge, live, vpc_id, plan, what)
    ids, ips = _promised(ctx.cfg)
    for live in regions.values():
        claimed = {arn: tags for arn, tags in tagged(ctx, live.name, ctx.cfg.tenant.environment_name)}
        unassociated = [a for a in live.addresses if not a.get("AssociationId")
                        and judge.arn(live.name, f"elastic-ip/{a.get('AllocationId')}") in claimed]
        _judge_unassociated(judge, live, unassociated, ids, ips,
                            f"is tagged for {ctx.stack} but on nothing (its tags alone do not make it the stack's)")
        for arn in sorted(claimed):
            if arn in judge.seen:
                continue
            kind = ARN_TYPES.get(arn.split(":", 5)[5].split("/", 1)[0])
            if kind is None or kind == EIP:
                continue
            resource = arn.split(":", 5)[5]
            judge.saw(arn)
            judge.report(live.name, kind, resource.split("/", 1)[1], resource,
                         f"{resource.replace('/', ' ')} is tagged for {ctx.stack} but lies outside its VPCs: its tags "
                         "were copied onto it, and no stack declares it; delete it")
    return notes


def _client_environments(ctx: AuditContext) -> list[Any]:
    """Configs of the client's environment stacks in this project (unreadable ones are left to their own audit)."""
    from connectctl.audit.context import load_stack_config

    project = _project(ctx)
    found = []
    for stack in project.stacks():
        try:
            _, cfg = load_stack_config(stack, project.root)
        except AuditError:
            continue
        if cfg.tenant.client == ctx.cfg.tenant.client and cfg.tenant.account_id == ctx.cfg.tenant.account_id \
                and not cfg.is_account:
            found.append(cfg)
    return found


def judge_account(judge: Judge, regions: dict[str, Region], environments: list[Any]) -> list[str]:
    """The account stack: what lies outside every environment VPC, and what is tagged for a removed environment."""
    ctx = judge.ctx
    blocks = {(cfg.region, _cidr(cfg.net.cidr)) for cfg in environments}
    blocks |= {(cfg.tenant.dr_region, _cidr(cfg.dr.cidr or cfg.net.cidr)) for cfg in environments if cfg.dr.standby}
    ids: set[str] = set()
    ips: set[str] = set()
    for cfg in environments:
        more_ids, more_ips = _promised(cfg)
        ids, ips = ids | more_ids, ips | more_ips
    names = {cfg.tenant.environment_name for cfg in environments}
    for live in regions.values():
        region = live.name
        claims = sorted(tagged(ctx, region))
        # What an environment's tags claim is that environment's audit to judge (inside its VPCs or not): once.
        judge.seen |= {arn for arn, tags in claims if tags.get("connect:environment") in names}
        inside = {str(v["VpcId"]) for v in live.vpcs if (region, _cidr(str(v.get("CidrBlock")))) in blocks}
        defaults = {str(v["VpcId"]) for v in live.vpcs if v.get("IsDefault")}
        for group in sorted(live.groups, key=lambda g: str(g["GroupId"])):
            group_id = str(group["GroupId"])
            if group.get("VpcId") in inside or group.get("GroupName") == "default" or \
                    judge.arn(region, f"security-group/{group_id}") in judge.seen:
                continue
            judge.saw(judge.arn(region, f"security-group/{group_id}"))
            judge.report(region, GROUP, group_id, f"security-group/{group_id}",
                         f"security group {group_id} ({group.get('GroupName')}) in {group.get('VpcId')}"
                         f"{' (the default VPC)' if group.get('VpcId') in defaults else ''}, outside every "
                         f"environment of {ctx.cfg.tenant.client}: no stack declares it; delete it",
                         path="connect:tenant")
        for instance in sorted(live.instances, key=lambda i: str(i["InstanceId"])):
            instance_id = str(instance["InstanceId"])
            if instance.get("VpcId") in inside or judge.arn(region, f"instance/{instance_id}") in judge.seen:
                continue
            judge.saw(judge.arn(region, f"instance/{instance_id}"))
            judge.report(region, INSTANCE, instance_id, f"instance/{instance_id}",
                         f"instance {instance_id} ({instance.get('InstanceType')}) in {instance.get('VpcId')}, "
                         f"outside every environment of {ctx.cfg.tenant.client}: the platform runs no instance; "
                         "terminate it", path="connect:tenant")
        outside = {str(e["NetworkInterfaceId"]): e for e in live.interfaces if e.get("VpcId") not in inside}
        for eni_id, eni in sorted(outside.items()):
            if eni.get("RequesterManaged") or eni.get("Attachment", {}).get("InstanceId") or \
                    judge.arn(region, f"network-interface/{eni_id}") in judge.seen:
                continue
            judge.saw(judge.arn(region, f"network-interface/{eni_id}"))
            judge.report(region, ENI, eni_id, f"network-interface/{eni_id}",
                         f"network interface {eni_id} in {eni.get('VpcId')}, outside every environment of "
                         f"{ctx.cfg.tenant.client}, was made by hand; delete it", path="connect:tenant")
        instances_outside = {str(i["InstanceId"]) for i in live.instances if i.get("VpcId") not in inside}
        loose = [a for a in live.addresses if not a.get("AssociationId") or a.get("NetworkInterfaceId") in outside
                 or a.get("InstanceId") in instances_outside]
        _judge_unassociated(judge, live, loose, ids, ips, "is outside every environment (on nothing, or on a "
                            "resource outside their VPCs)")
        for arn, tags in claims:
            environment = tags.get("connect:environment")
            if arn in judge.seen or environment in names or environment in (None, "account"):
                continue
            kind = ARN_TYPES.get(arn.split(":", 5)[5].split("/", 1)[0])
            if kind is None:
                continue
            resource = arn.split(":", 5)[5]
            judge.saw(arn)
            judge.report(region, kind, resource.split("/", 1)[1], resource,
                         f"{resource.replace('/', ' ')} is tagged for environment {environment!r} of "
                         f"{ctx.cfg.tenant.client}, which has no stack file: a leftover of a removed environment; "
                         "delete it", path="connect:tenant")
    return []


def unmanaged_resources(ctx: AuditContext) -> Outcome:
    """Every resource of the judged kinds in the stack's scope that no stack of the client owns, minus the
    reviewed leftovers of `audit-allowed.<client>.yaml` whose allowance has not expired."""
    path = allowed_path(ctx)
    allowances = load_allowances(path)
    judge = Judge(ctx)
    if ctx.cfg.is_account:
        environments = _client_environments(ctx)
        names = sorted({ctx.region, ctx.dr_region} | {c.region for c in environments}
                       | {c.tenant.dr_region for c in environments})
        regions = {name: read_region(ctx, name) for name in names}
        notes = judge_account(judge, regions, environments)
    else:
        regions = {name: read_region(ctx, name) for name in sorted({ctx.region, ctx.dr_region})}
        notes = judge_environment(judge, regions)
    today = ctx.now.date()
    kept, waived, used = [], 0, set()
    for finding in judge.findings:
        match = next((a for a in allowances if a.matches(finding)), None)
        if match is not None and match.expires >= today:
            waived += 1
            used.add(match.index)
            continue
        if match is not None:
            finding = Finding(finding.check, finding.severity, finding.resource_id, finding.resource_type,
                              f"{finding.message} (its allowance allowed[{match.index}] in {path.name} expired on "
                              f"{match.expires.isoformat()}: review it again or remove the resource)",
                              finding.region, finding.arn, finding.config_path)
            used.add(match.index)
        kept.append(finding)
    stale = [a.index for a in allowances if a.index not in used]
    notes = [f"regions {', '.join(sorted(regions))}", *notes]
    if waived:
        notes.append(f"{waived} allowed by {path.name}")
    if stale:
        notes.append(f"{path.name}: allowed[{', '.join(map(str, stale))}] match nothing (remove them)")
    return Outcome(examined=judge.examined, findings=kept, note="; ".join(notes))
