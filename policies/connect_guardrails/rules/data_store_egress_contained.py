"""data-store-egress-contained: the data tier's security groups open no connection out of the VPC.

The data tier's security groups are recognised by what uses them, not only by a tag
(`data_util.data_security_groups`): the groups of RDS clusters and instances, DocumentDB, Neptune and Redshift
clusters, EFS and FSx file systems (their mount targets), ElastiCache, MemoryDB, OpenSearch and MSK, followed
through property dependencies (or their known ids), and any group tagged `connect:tier: data`.

A data store answers connections and opens none: security groups are stateful, so replies to allowed
inbound connections need no egress rule (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html).
Every egress permission of such a group (inline `egress`, `SecurityGroupEgressRule`, `SecurityGroupRule` of
type egress: `data_util.group_egress`) may name other security groups or CIDRs inside the group's VPC (the
`cidrBlock` of the VPC that fed its `vpcId`, and the VPC's known IPv6 block and IPv4 associations); `0.0.0.0/0`,
`::/0`, any CIDR outside the VPC and any prefix list (AWS service ranges, client networks) is a violation.
Honest about defaults: a group created by pulumi-aws without `egress` has no egress at all (the provider
revokes AWS's default allow-all rule, `data_util`), which is what the platform's data groups rely on. A VPC
whose CIDR is unknown (IPAM) leaves other CIDRs to the engine's preview note.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.data_util import data_security_groups, group_egress
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Deciding, Pending, get_raw, is_unknown
from connect_guardrails.util import Index, deps_of

VPC_TYPES = ("aws:ec2/vpc:Vpc", "aws:ec2/defaultVpc:DefaultVpc")
CIDR_ASSOCIATION = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
WORLD = frozenset({"0.0.0.0/0", "::/0"})
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _vpc_networks(group: PolicyResource, index: Index, deciding: Deciding) -> list[Network] | None:
    """The group's VPC address space: empty when no VPC of the stack fed its `vpcId` (nothing is provably inside),
    None when an unknown block decides (recorded)."""
    networks: list[Network] = []
    for vpc in (r for r in deps_of(group, "vpcId") if r.resource_type in VPC_TYPES):
        sources: list[tuple[Any, str]] = [(vpc.props, "cidrBlock"), (vpc.props, "ipv6CidrBlock")]
        sources += [(a.props, "cidrBlock") for a in index.fed(vpc, (CIDR_ASSOCIATION,), "vpcId")]
        for props, key in sources:
            value = get_raw(props, key)
            if is_unknown(value):
                deciding.append((props, (key,)))
                return None
            if isinstance(value, str) and value:
                networks.append(ipaddress.ip_network(value, strict=False))
    return networks


def _inside(cidr: str, networks: list[Network]) -> bool:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    if isinstance(network, ipaddress.IPv4Network):
        return any(network.subnet_of(vpc) for vpc in networks if isinstance(vpc, ipaddress.IPv4Network))
    return any(network.subnet_of(vpc) for vpc in networks if isinstance(vpc, ipaddress.IPv6Network))


def _outside(cidrs: list[str], networks: list[Network] | None) -> list[str]:
    """The CIDRs not provably inside the VPC (with `networks` None, only the world: the rest is undecided)."""
    found = [c for c in cidrs if c in WORLD or (networks is not None and not _inside(c, networks))]
    return list(dict.fromkeys(found))


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Security groups of data stores allow egress only to security groups or CIDRs inside their VPC."""
    pending = Pending()
    index = Index.of(args.resources)
    for group, reasons in data_security_groups(index).values():
        deciding: Deciding = []
        egress = group_egress(index, group, deciding)
        networks: list[Network] | None = []
        if any(c not in WORLD for e in egress for c in e.cidrs):
            networks = _vpc_networks(group, index, deciding)
        for entry in egress:
            opened = _outside(entry.cidrs, networks) + (["a prefix list"] if entry.prefix_lists else [])
            if opened:
                report_violation(
                    f"security group '{group.name}' of the data tier ({', '.join(reasons)}): {entry.where} allows "
                    f"egress ({entry.ports}) to {', '.join(opened)}, outside its VPC; a data store answers "
                    f"connections and opens none (security groups are stateful): remove the egress, or limit it to "
                    f"security groups or CIDRs of the VPC",
                    entry.urn,
                )
        pending.add_all(deciding)
    pending.settle()


RULE = Rule(
    id="data-store-egress-contained", severity="high", check=check,
    description="Security groups of the data tier (recognised by the data stores that use them) allow no egress "
                "outside their VPC: no 0.0.0.0/0, ::/0, outside CIDR or prefix list.",
    anchors=("CKV_AWS_382",), iso27001=("A.8.20", "A.8.22", "A.8.12"), ccm=("IVS-03", "IVS-06", "DSP-17"),
    remediation=(
        "Create the data store's security group without egress (aws.ec2.SecurityGroup without egress= has none: "
        "pulumi-aws revokes AWS's default allow-all rule) and admit the services that use it with ingress rules "
        "from their security groups; if the engine needs to reach something, allow egress to that security group "
        "(referenced_security_group_id) or a CIDR inside the VPC, never 0.0.0.0/0 or ::/0."
    ),
)
