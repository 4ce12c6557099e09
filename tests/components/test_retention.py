"""Destroying a stack leaves the data behind: every stateful resource is retained on delete.

`pulumi destroy` (or removing a resource from the program) deletes what the stack manages, except what is
registered with `retainOnDelete`: the engine drops it from the state and leaves it in AWS. For every
committed stack (environments and accounts), each resource of a type that holds data or identity the client
relies on (EIPs allow-listed by the client, KMS keys that encrypt everything, image repositories, backup
vaults, log groups, buckets, file systems, database clusters) must be registered so, and the stack's config
says which of them it must hold (a stack with databases has clusters...). Resources the stack only reads (a
client's own EIPs by allocation id) are not the stack's to delete and are checked to be exactly those reads.

Every type any plan declares is classified here, stateful or not: a new type fails the test until someone
decides which it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.config import StackConfig
from connectctl.engine.project import load_project, load_stack
from connectctl.plan import plan_stack, validate
from tests.components.plans import planned

STATEFUL = frozenset({
    "aws:ec2/eip:Eip",  # the egress IPs the client allow-lists
    "aws:kms/key:Key",  # losing it loses every encrypted byte
    "aws:ecr/repository:Repository",  # the images
    "aws:backup/vault:Vault",  # the recovery points
    "aws:cloudwatch/logGroup:LogGroup",  # flow logs, service logs, VPN logs
    "aws:s3/bucket:Bucket",  # data, access logs (load balancer, server access), audit trail, replicas
    "aws:efs/fileSystem:FileSystem",
    "aws:rds/cluster:Cluster",  # the storage of a database lives with its cluster
})
# Deleting these loses no data: configuration, compute, networking, identity, alarms, or the instances of a
# retained cluster (Aurora storage belongs to the cluster).
STATELESS_PREFIXES = (
    "pulumi:", "connect:", "aws:appautoscaling/", "aws:backup/plan:", "aws:backup/selection:",
    "aws:backup/vaultLockConfiguration:", "aws:backup/vaultPolicy:", "aws:cloudtrail/trail:",
    "aws:cloudwatch/dashboard:", "aws:cloudwatch/eventRule:", "aws:cloudwatch/eventTarget:",
    "aws:cloudwatch/metricAlarm:", "aws:ec2/customerGateway:", "aws:ec2/defaultNetworkAcl:",
    "aws:ec2/defaultSecurityGroup:", "aws:ec2/networkAcl:", "aws:ec2/networkAclAssociation:",
    "aws:ec2/flowLog:", "aws:ec2/internetGateway:", "aws:ec2/natGateway:", "aws:ec2/route:", "aws:ec2/routeTable:",
    "aws:ec2/routeTableAssociation:", "aws:ec2/securityGroup:", "aws:ec2/subnet:", "aws:ec2/vpc:",
    "aws:ec2/vpcEndpoint:", "aws:ec2/vpnConnection:", "aws:ec2/vpnConnectionRoute:", "aws:ec2/vpnGateway:",
    "aws:ec2/vpnGatewayRoutePropagation:", "aws:ecr/lifecyclePolicy:", "aws:ecr/registryScanningConfiguration:",
    "aws:ecr/replicationConfiguration:", "aws:ecr/repositoryPolicy:", "aws:ecs/", "aws:efs/accessPoint:",
    "aws:efs/mountTarget:", "aws:efs/replicationConfiguration:", "aws:iam/", "aws:kms/alias:", "aws:lb/",
    "aws:rds/clusterInstance:", "aws:rds/clusterParameterGroup:", "aws:rds/subnetGroup:",
    "aws:s3/bucketLifecycleConfiguration:", "aws:s3/bucketLogging:", "aws:s3/bucketOwnershipControls:",
    "aws:s3/bucketPolicy:", "aws:s3/bucketPublicAccessBlock:",
    "aws:s3/bucketReplicationConfig:", "aws:s3/bucketServerSideEncryptionConfiguration:",
    "aws:s3/bucketVersioning:", "aws:sns/", "aws:ssm/parameter:", "aws:vpc/",
    # Route 53 (components/dns.py). A private hosted zone holds records, not data: every record in it is one the
    # program declares again (the service names, aliases to the load balancers), and with forceDestroy false AWS
    # refuses to delete a zone that still holds a record someone added by hand. Records are derived from the load
    # balancers; health checks are configuration over alarms; a Resolver inbound endpoint is network interfaces, one
    # per subnet (recreated, it may get other addresses: the client's forwarders follow `resolverInboundIps`).
    "aws:route53/zone:", "aws:route53/record:", "aws:route53/healthCheck:", "aws:route53/resolverEndpoint:",
)
STACKS = tuple(load_project().stacks())
ROOT = Path(__file__).resolve().parents[2]


def expected_types(cfg: StackConfig) -> set[str]:
    """The stateful types the stack's config says it must hold."""
    if cfg.is_account:
        return {"aws:kms/key:Key", "aws:ecr/repository:Repository"}
    expected = {"aws:kms/key:Key", "aws:cloudwatch/logGroup:LogGroup", "aws:backup/vault:Vault",
                "aws:s3/bucket:Bucket"}  # its key, flow and service logs, vaults, access-log bucket
    if not cfg.net.egress_ip_allocation_ids:
        expected.add("aws:ec2/eip:Eip")  # the stack allocates its NAT egress IPs
    if cfg.data.file_systems:
        expected.add("aws:efs/fileSystem:FileSystem")
    if cfg.data.databases:
        expected.add("aws:rds/cluster:Cluster")
    return expected


@pytest.mark.parametrize("stack", STACKS)
def test_destroy_retains_every_stateful_resource(stack: str) -> None:
    plan = planned(stack)
    managed = [r for r in plan.resources if not r.external]  # what destroy deletes: not what the stack only reads
    stateful = [r for r in managed if r.type in STATEFUL]
    assert {r.type for r in stateful} >= expected_types(plan.config)
    dropped = sorted(f"{r.type} {r.name}" for r in stateful if not r.retain_on_delete)
    assert not dropped, f"deleted with the stack: {dropped}"
    unclassified = sorted({r.type for r in plan.resources
                           if r.type not in STATEFUL and not r.type.startswith(STATELESS_PREFIXES)})
    assert not unclassified, f"stateful or not? classify in this test: {unclassified}"
    reads = [r for r in plan.resources if r.external and r.type == "aws:ec2/eip:Eip"]
    if plan.config.network is not None and plan.config.net.egress_ip_allocation_ids:  # the client's own EIPs
        allocations = plan.config.net.egress_ip_allocation_ids
        ids = allocations.values() if isinstance(allocations, dict) else allocations
        assert sorted(r.id for r in reads) == sorted(ids)


def test_a_declared_failover_retains_the_restored_databases(tmp_path: Path) -> None:
    """`connect:dr.active`: the databases restored in the DR region hold the data written during the failover
    (and its log groups, the audit of it): destroying or leaving the active state keeps them."""
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text(encoding="utf-8"))
    doc["config"]["connect:dr"]["active"] = True
    zones = planned("acme-prod").capture.outputs["zones"]
    assert isinstance(zones, list)
    doc["config"]["connect:network"]["availabilityZones"] = zones
    stack_file = tmp_path / "Pulumi.acme-prod.yaml"
    stack_file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    plan = plan_stack(config_file=stack_file, preview=True)
    restored = [r for r in plan.resources if r.type in STATEFUL and r.name.startswith("dr-restore-")]
    assert {r.type for r in restored} == {"aws:rds/cluster:Cluster", "aws:cloudwatch/logGroup:LogGroup"}
    assert len([r for r in restored if r.type == "aws:rds/cluster:Cluster"]) == len(plan.config.data.databases)
    dropped = [r.name for r in plan.resources if r.type in STATEFUL and not r.external and not r.retain_on_delete]
    assert dropped == []


def test_the_stacks_cover_every_stateful_type() -> None:
    """Without a stack holding each type, a type could lose its retention unnoticed: keep one of each."""
    project = load_project()
    covered = set().union(*(expected_types(validate(load_stack(project, stack))) for stack in STACKS))
    assert covered == STATEFUL
