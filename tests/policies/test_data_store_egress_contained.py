"""data-store-egress-contained: the data tier's security groups (known by the stores that use them) open nothing out
of the VPC.

Each violating program holds several independent groups, one case each, so the pack runs once per mode.
"""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.harness import TAGS, case_tests, evaluate, findings, notes, pinned, provider

POLICY = "data-store-egress-contained"


def _vpc(p: aws.Provider) -> tuple[aws.ec2.Vpc, aws.ec2.Subnet]:
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    subnet = aws.ec2.Subnet("data-a", vpc_id=vpc.id, cidr_block="10.0.50.0/24", tags=TAGS, opts=pinned(p))
    return vpc, subnet


def _group(p: aws.Provider, vpc: aws.ec2.Vpc, name: str, **kwargs: Any) -> aws.ec2.SecurityGroup:
    """A group without a tier tag: the rule knows it by the store that uses it."""
    return aws.ec2.SecurityGroup(name, vpc_id=vpc.id, description=f"{name}: only from the services that use it",
                                 tags=TAGS, opts=pinned(p), **kwargs)


def _database(p: aws.Provider, name: str, group: aws.ec2.SecurityGroup) -> aws.rds.Cluster:
    return aws.rds.Cluster(name, engine="aurora-postgresql", master_username="connect",
                           manage_master_user_password=True, storage_encrypted=True,
                           vpc_security_group_ids=[group.id], tags=TAGS, opts=pinned(p, protect=True))


def _compliant() -> None:
    p = provider()
    vpc, subnet = _vpc(p)
    app = _group(p, vpc, "app-sg")
    aws.vpc.SecurityGroupEgressRule("app-egress", security_group_id=app.id, ip_protocol="-1", cidr_ipv4="0.0.0.0/0",
                                    opts=pinned(p))  # the app tier leaves through the NAT: not a data group
    ledger = _group(p, vpc, "ledger-sg")  # no egress at all: pulumi-aws revokes AWS's default rule
    _database(p, "ledger", ledger)
    aws.vpc.SecurityGroupIngressRule("ledger-from-app", security_group_id=ledger.id, ip_protocol="tcp",
                                     from_port=5432, to_port=5432, referenced_security_group_id=app.id,
                                     opts=pinned(p))
    files = _group(p, vpc, "files-sg", egress=[{"protocol": "tcp", "from_port": 2049, "to_port": 2049,
                                                "cidr_blocks": ["10.0.50.0/24"]}])  # inside the VPC
    fs = aws.efs.FileSystem("files", encrypted=True, tags=TAGS, opts=pinned(p, protect=True))
    aws.efs.MountTarget("files-a", file_system_id=fs.id, subnet_id=subnet.id, security_groups=[files.id],
                        opts=pinned(p))
    cache = _group(p, vpc, "cache-sg")
    aws.vpc.SecurityGroupEgressRule("cache-to-app", security_group_id=cache.id, ip_protocol="tcp", from_port=443,
                                    to_port=443, referenced_security_group_id=app.id, opts=pinned(p))
    aws.elasticache.ReplicationGroup("cache", description="cache", node_type="cache.t4g.micro",
                                     security_group_ids=[cache.id], tags=TAGS, opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_contained_data_groups_pass(preview: bool) -> None:
    """No egress, egress to a security group, egress inside the VPC; the app tier's world egress is not judged."""
    found = evaluate(_compliant, preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _violating() -> None:
    p = provider()
    vpc, subnet = _vpc(p)
    world = _group(p, vpc, "world-sg", egress=[{"protocol": "-1", "from_port": 0, "to_port": 0,
                                                "cidr_blocks": ["0.0.0.0/0"]}])
    _database(p, "world-db", world)
    v6 = _group(p, vpc, "v6-sg")
    aws.vpc.SecurityGroupEgressRule("v6-egress", security_group_id=v6.id, ip_protocol="-1", cidr_ipv6="::/0",
                                    opts=pinned(p))
    aws.rds.Instance("v6-db", engine="postgres", instance_class="db.t4g.micro", allocated_storage=20,
                     username="connect", manage_master_user_password=True, storage_encrypted=True,
                     vpc_security_group_ids=[v6.id], tags=TAGS, opts=pinned(p, protect=True))
    outside = _group(p, vpc, "outside-sg")
    aws.ec2.SecurityGroupRule("outside-egress", type="egress", security_group_id=outside.id, protocol="tcp",
                              from_port=443, to_port=443, cidr_blocks=["172.16.0.0/16"], opts=pinned(p))
    fs = aws.efs.FileSystem("files", encrypted=True, tags=TAGS, opts=pinned(p, protect=True))
    aws.efs.MountTarget("files-a", file_system_id=fs.id, subnet_id=subnet.id, security_groups=[outside.id],
                        opts=pinned(p))
    aws.ec2.SecurityGroup("tagged-sg", vpc_id=vpc.id, description="data tier",
                          egress=[{"protocol": "tcp", "from_port": 443, "to_port": 443,
                                   "prefix_list_ids": ["pl-63a5400a"]}],
                          tags={**TAGS, "connect:tier": "data"}, opts=pinned(p))


CASES: dict[str, tuple[str, str]] = {
    "world-inline": ("aws:ec2/securityGroup:SecurityGroup::world-sg",
                     "security group 'world-sg' of the data tier (DB cluster 'world-db'): egress[0] allows egress "
                     "(all traffic) to 0.0.0.0/0"),
    "ipv6-rule": ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::v6-egress",
                  "(DB instance 'v6-db'): rule 'v6-egress' allows egress (all traffic) to ::/0"),
    "outside-cidr": ("aws:ec2/securityGroupRule:SecurityGroupRule::outside-egress",
                     "(EFS mount target 'files-a'): rule 'outside-egress' allows egress (tcp 443) to 172.16.0.0/16"),
    "prefix-list": ("aws:ec2/securityGroup:SecurityGroup::tagged-sg",
                    "(tagged connect:tier: data): egress[0] allows egress (tcp 443) to a prefix list"),
}


test_data_group_egress_out_of_the_vpc_is_violation, test_one_finding_per_open_egress = case_tests(
    _violating, POLICY, CASES)
