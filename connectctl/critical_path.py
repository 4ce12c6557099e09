"""Critical path of a plan: the longest dependency chain, weighted by typical AWS creation times.

An estimate of how long a first `pulumi up` of the stack takes, and of what each part waits on.
The engine creates a resource as soon as everything it depends on is created (its `dependencies`,
its property dependencies and its provider), with unbounded parallelism (`pulumi up --parallel`
defaults to unbounded); a component has nothing to create and completes when its
children do. So the finish time of a resource is the latest finish among what it waits on plus its
own creation time, and the critical path is the chain that ends last.

Durations are typical wall times of a *create* until the provider returns (it waits for the state
named in each note), not guarantees: AWS documents most of them only as "a few minutes". Each
entry says where its figure comes from; unlisted AWS types take `DEFAULT`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectctl.engine.capture import STACK_TYPE, CapturedResource
from connectctl.engine.regions import provider_urn

if TYPE_CHECKING:
    from connectctl.plan import Plan


@dataclass(frozen=True)
class Duration:
    """A typical creation time in seconds and where the figure comes from."""

    seconds: float
    note: str


OBSERVED = "typical of our deployments (assumption, not an AWS figure)"
API_ONLY = "a control-plane call with no waiter: seconds (assumption)"

DURATIONS: dict[str, Duration] = {
    # Network
    "aws:ec2/vpc:Vpc": Duration(5, "the provider waits for state 'available', reached in seconds; " + OBSERVED),
    "aws:ec2/subnet:Subnet": Duration(5, "waits for 'available'; seconds; " + OBSERVED),
    "aws:ec2/internetGateway:InternetGateway": Duration(5, "create and attach to the VPC; " + OBSERVED),
    "aws:ec2/eip:Eip": Duration(3, API_ONLY),
    "aws:ec2/natGateway:NatGateway": Duration(
        120, "waits for 'available'; AWS: 'pending' for a few minutes, typically 1-2 min; " + OBSERVED),
    "aws:ec2/routeTable:RouteTable": Duration(3, API_ONLY),
    "aws:ec2/route:Route": Duration(3, API_ONLY),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Duration(2, API_ONLY),
    "aws:ec2/securityGroup:SecurityGroup": Duration(5, "create, then revoke the default egress rule; " + OBSERVED),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Duration(3, "adopts the VPC's group; " + API_ONLY),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Duration(2, API_ONLY),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Duration(2, API_ONLY),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Duration(
        90, "Interface endpoints wait for 'available' (ENIs in every subnet): 1-2 min; " + OBSERVED),
    "aws:ec2/flowLog:FlowLog": Duration(5, API_ONLY),
    "aws:ec2/networkAcl:NetworkAcl": Duration(3, "create, then one call per inline entry; " + API_ONLY),
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": Duration(2, API_ONLY),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": Duration(
        3, "adopts the VPC's default ACL and revokes its entries; " + API_ONLY),
    # Site-to-Site VPN
    "aws:ec2/customerGateway:CustomerGateway": Duration(5, "metadata only; waits for 'available' in seconds"),
    "aws:ec2/vpnGateway:VpnGateway": Duration(
        90, "create, attach to the VPC and wait for 'attached': about 1-2 min; " + OBSERVED),
    "aws:ec2/vpnConnection:VpnConnection": Duration(
        420, "waits for 'available'; AWS: 'may take a few minutes', 5-10 min in practice; " + OBSERVED),
    "aws:ec2/vpnConnectionRoute:VpnConnectionRoute": Duration(5, "waits for the route to be 'available'"),
    "aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation": Duration(5, API_ONLY),
    # DNS: Route 53 (global) and its Resolver (regional). Route 53 answers a change PENDING, then INSYNC once every
    # authoritative server has it: "changes generally propagate to all Route 53 name servers managing the hosted
    # zone within 60 seconds"
    # (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html); the provider
    # waits for INSYNC (GetChange) after a zone's creation and after each record change.
    "aws:route53/zone:Zone": Duration(
        60, "CreateHostedZone with its first VPC, INSYNC, then AssociateVPCWithHostedZone per further VPC: "
        "about a minute; Route 53 API reference (INSYNC within 60 s); " + OBSERVED),
    "aws:route53/record:Record": Duration(
        60, "ChangeResourceRecordSets, then the provider waits for INSYNC: 'generally within 60 seconds' (Route 53 "
        "API reference, ChangeResourceRecordSets)"),
    "aws:route53/healthCheck:HealthCheck": Duration(
        2, "CreateHealthCheck returns the check at once; nothing waits for its first status; " + API_ONLY),
    "aws:route53/resolverEndpoint:ResolverEndpoint": Duration(
        180, "waits for 'OPERATIONAL' (a network interface per address, then the endpoint's own checks): 2-4 min; "
        + OBSERVED),
    # Keys, logs, identity
    "aws:kms/key:Key": Duration(10, "the provider waits for the key and its policy to propagate; " + OBSERVED),
    "aws:kms/alias:Alias": Duration(2, API_ONLY),
    "aws:cloudwatch/logGroup:LogGroup": Duration(2, API_ONLY),
    "aws:iam/role:Role": Duration(5, "the provider retries until the role is visible (eventual consistency)"),
    "aws:iam/rolePolicy:RolePolicy": Duration(3, API_ONLY),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Duration(3, API_ONLY),
    # Storage
    "aws:s3/bucket:Bucket": Duration(5, "create, then read back its configuration; " + OBSERVED),
    "aws:s3/bucketPolicy:BucketPolicy": Duration(3, API_ONLY),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Duration(3, API_ONLY),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Duration(3, API_ONLY),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Duration(3, API_ONLY),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Duration(
        5, "the provider waits until the rules read back; " + OBSERVED),
    "aws:s3/bucketVersioning:BucketVersioning": Duration(3, API_ONLY),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": Duration(5, API_ONLY),
    "aws:s3/bucketLogging:BucketLogging": Duration(3, API_ONLY),
    "aws:efs/fileSystem:FileSystem": Duration(30, "waits for 'available': under a minute; " + OBSERVED),
    "aws:efs/mountTarget:MountTarget": Duration(90, "waits for 'available' (an ENI per zone): 1-2 min; " + OBSERVED),
    "aws:efs/accessPoint:AccessPoint": Duration(5, "waits for 'available'; seconds"),
    "aws:efs/replicationConfiguration:ReplicationConfiguration": Duration(
        300, "creates the replica file system and waits for replication 'ENABLED': minutes; assumption"),
    "aws:rds/subnetGroup:SubnetGroup": Duration(3, API_ONLY),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": Duration(
        5, "CreateDBClusterParameterGroup, then ModifyDBClusterParameterGroup for its parameters; " + API_ONLY),
    "aws:rds/cluster:Cluster": Duration(
        600, "Aurora cluster: waits for 'available', about 5-10 min; " + OBSERVED),
    "aws:rds/clusterInstance:ClusterInstance": Duration(
        480, "Aurora (Serverless v2) instance: waits for 'available', about 6-10 min; " + OBSERVED),
    "aws:ssm/parameter:Parameter": Duration(2, API_ONLY),
    "aws:backup/vault:Vault": Duration(3, API_ONLY),
    "aws:backup/vaultPolicy:VaultPolicy": Duration(2, API_ONLY),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": Duration(2, API_ONLY),
    "aws:backup/plan:Plan": Duration(3, API_ONLY),
    "aws:backup/selection:Selection": Duration(5, "retries while the backup role propagates; " + OBSERVED),
    # Registry
    "aws:ecr/repository:Repository": Duration(3, API_ONLY),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": Duration(2, API_ONLY),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": Duration(2, API_ONLY),
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": Duration(3, API_ONLY),
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": Duration(3, API_ONLY),
    "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive": Duration(3, API_ONLY),
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": Duration(3, API_ONLY),
    "aws:cloudtrail/trail:Trail": Duration(5, "create and start logging; " + API_ONLY),
    # Container platform
    "aws:ecs/cluster:Cluster": Duration(10, "waits for 'ACTIVE'; seconds; " + OBSERVED),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": Duration(5, "waits for the cluster update"),
    "aws:ecs/taskDefinition:TaskDefinition": Duration(3, API_ONLY),
    "aws:ecs/service:Service": Duration(
        30, "without wait_for_steady_state (our services) the provider returns once the service is ACTIVE: "
        "tens of seconds; " + OBSERVED),
    "aws:lb/loadBalancer:LoadBalancer": Duration(
        180, "waits for 'active'; AWS: 'provisioning' for a few minutes, typically 2-4 min; " + OBSERVED),
    "aws:lb/targetGroup:TargetGroup": Duration(3, API_ONLY),
    "aws:lb/listener:Listener": Duration(3, API_ONLY),
    "aws:lb/listenerRule:ListenerRule": Duration(3, API_ONLY),
    "aws:appautoscaling/target:Target": Duration(3, API_ONLY),
    "aws:appautoscaling/policy:Policy": Duration(3, API_ONLY),
    # Alerts and observability
    "aws:sns/topic:Topic": Duration(3, API_ONLY),
    "aws:sns/topicPolicy:TopicPolicy": Duration(2, API_ONLY),
    "aws:sns/topicSubscription:TopicSubscription": Duration(
        3, "email/https subscriptions stay 'pending confirmation' without blocking the deployment"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Duration(2, API_ONLY),
    "aws:cloudwatch/dashboard:Dashboard": Duration(2, API_ONLY),
    "aws:cloudwatch/eventRule:EventRule": Duration(2, API_ONLY),
    "aws:cloudwatch/eventTarget:EventTarget": Duration(2, API_ONLY),
    # Not AWS resources
    "pulumi:providers:aws": Duration(0, "provider configuration, local to the engine"),
    "pulumi:pulumi:StackReference": Duration(1, "a read of the account stack's outputs from the backend"),
}
ECS_SERVICE = "aws:ecs/service:Service"
DEFAULT = Duration(10, "an AWS type not in the table: a control-plane call with a short waiter (assumption)")
COMPONENT = Duration(0, "a component creates nothing: it completes when its children do")

# Inputs that change a type's creation time: type -> (condition on its inputs, duration).
VARIANTS: dict[str, tuple[Callable[[Mapping[str, Any]], bool], Duration]] = {
    "aws:ec2/vpcEndpoint:VpcEndpoint": (
        lambda inputs: inputs.get("vpcEndpointType") == "Gateway",
        Duration(10, "Gateway endpoints (S3, DynamoDB) only add routes: seconds; " + OBSERVED)),
    # A declared failover's databases (components/dr.py): RestoreDBClusterFromSnapshot from the DR vault's copy.
    "aws:rds/cluster:Cluster": (
        lambda inputs: bool(inputs.get("snapshotIdentifier")),
        Duration(1200, "restored from a snapshot: waits for 'available'; AWS gives no figure, it grows with the "
                 "snapshot's size: tens of minutes, 20 min assumed (its instances follow, 6-10 min); assumption")),
    "aws:ecs/service:Service": (
        lambda inputs: inputs.get("waitForSteadyState") is True,
        Duration(240, "wait_for_steady_state: tasks pulled, started and healthy in the target group: "
                 "2-5 min; " + OBSERVED)),
}


def duration_of(resource: CapturedResource) -> Duration:
    """The typical creation time of one registered resource (components and the stack take 0)."""
    if not resource.custom:
        return COMPONENT
    variant = VARIANTS.get(resource.type)
    if variant is not None and variant[0](resource.inputs):
        return variant[1]
    return DURATIONS.get(resource.type, DEFAULT)


@dataclass(frozen=True)
class Step:
    """One resource on a chain: when it starts and finishes, in seconds from the start of `pulumi up`."""

    urn: str
    type: str
    name: str
    component: str
    seconds: float
    finish: float

    @property
    def start(self) -> float:
        """When everything it waits on is created."""
        return self.finish - self.seconds


@dataclass(frozen=True)
class CriticalPath:
    """The longest chain of the stack and, per top-level component, the chain that completes it last."""

    total: float
    chain: list[Step]
    components: dict[str, list[Step]]
    services_wait_on: list[str]
    services_never_wait_on: list[str]

    def as_json(self) -> dict[str, Any]:
        """`{"totalSeconds", "chain", "components": {label: {"finishSeconds", "chain"}}, "ecsServices"}`."""
        def steps(chain: list[Step]) -> list[dict[str, Any]]:
            return [{"urn": s.urn, "type": s.type, "component": s.component, "seconds": s.seconds,
                     "cumulativeSeconds": s.finish} for s in chain]
        return {
            "totalSeconds": self.total,
            "chain": steps(self.chain),
            "components": {name: {"finishSeconds": chain[-1].finish if chain else 0.0, "chain": steps(chain)}
                           for name, chain in self.components.items()},
            "ecsServices": {"waitOn": self.services_wait_on, "neverWaitOn": self.services_never_wait_on},
        }


def waits_on(resources: Iterable[CapturedResource]) -> dict[str, set[str]]:
    """What each resource waits for before it can be created (or, for a component, before it completes).

    Custom resources wait for their dependencies, property dependencies and provider. Components wait
    for their children. A dependency on one of a resource's own ancestors (which the SDK expands
    away) would be a cycle: it is dropped. Edges to resources outside the plan are dropped.
    """
    by_urn = {r.urn: r for r in resources}
    children: dict[str, set[str]] = {}
    for r in by_urn.values():
        if r.parent in by_urn:
            children.setdefault(r.parent, set()).add(r.urn)
    edges: dict[str, set[str]] = {}
    for r in by_urn.values():
        if not r.custom:
            edges[r.urn] = set(children.get(r.urn, ()))
            continue
        wanted = set(r.dependencies)
        for urns in r.property_dependencies.values():
            wanted |= set(urns)
        if r.provider:
            wanted.add(provider_urn(r.provider))
        ancestors, parent = set(), r.parent
        while parent in by_urn and parent not in ancestors:
            ancestors.add(parent)
            parent = by_urn[parent].parent
        edges[r.urn] = {u for u in wanted if u in by_urn and u not in ancestors and u != r.urn}
    return edges


def component_label(resource: CapturedResource) -> str:
    """`alerts [Observability]`: names alone are not unique (the alerts topic and observability share one)."""
    return f"{resource.name} [{resource.type.rsplit(':', 1)[-1]}]"


def top_level(urn: str, by_urn: Mapping[str, CapturedResource]) -> str:
    """The label of the top-level component holding a resource ('' for the stack's own resources)."""
    seen: set[str] = set()
    current = by_urn.get(urn)
    while current is not None and current.urn not in seen:
        seen.add(current.urn)
        parent = by_urn.get(current.parent)
        if parent is None or parent.type == STACK_TYPE:
            return "" if current.custom else component_label(current)
        current = parent
    return ""


def critical_path(resources: Iterable[CapturedResource],
                  duration: Callable[[CapturedResource], Duration] = duration_of) -> CriticalPath:
    """Earliest finish of every resource under unbounded parallelism, and the chains that end last.

    Linear in resources plus edges: one memoised depth-first pass (iterative: deep graphs do not
    hit the recursion limit). Raises ValueError on a dependency cycle, which the engine refuses too.
    """
    by_urn = {r.urn: r for r in resources}
    edges = waits_on(by_urn.values())
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for root in sorted(by_urn):
        if root in finish:
            continue
        stack: list[tuple[str, bool]] = [(root, False)]
        on_path: set[str] = set()
        while stack:
            urn, expanded = stack.pop()
            if expanded:
                on_path.discard(urn)
                best = max(sorted(edges[urn]), key=lambda u: finish[u], default=None)
                via[urn] = best
                finish[urn] = (finish[best] if best is not None else 0.0) + duration(by_urn[urn]).seconds
                continue
            if urn in finish:
                continue
            if urn in on_path:
                raise ValueError(f"dependency cycle through {urn}")
            on_path.add(urn)
            stack.append((urn, True))
            stack.extend((u, False) for u in sorted(edges[urn], reverse=True) if u not in finish)

    def chain_to(urn: str | None) -> list[Step]:
        steps: list[Step] = []
        while urn is not None:
            r = by_urn[urn]
            if r.custom:
                steps.append(Step(urn, r.type, r.name, top_level(urn, by_urn), duration(r).seconds, finish[urn]))
            urn = via[urn]
        return steps[::-1]

    last = max(sorted(finish), key=lambda u: finish[u], default=None)
    top = [r for r in sorted(by_urn.values(), key=lambda r: r.urn)
           if not r.custom and r.type != STACK_TYPE and by_urn.get(r.parent, r).type == STACK_TYPE]
    services = [u for u, r in by_urn.items() if r.type == ECS_SERVICE]
    waited = {top_level(u, by_urn) for u in upstream(edges, services) if by_urn[u].custom} - {""}
    return CriticalPath(
        total=finish[last] if last else 0.0, chain=chain_to(last),
        components={component_label(r): chain_to(r.urn) for r in top},
        services_wait_on=sorted(waited) if services else [],
        services_never_wait_on=sorted({component_label(r) for r in top} - waited) if services else [],
    )


def upstream(edges: Mapping[str, set[str]], targets: Iterable[str]) -> set[str]:
    """Everything the targets wait on, directly or not (the targets excluded unless on a cycle)."""
    seen: set[str] = set()
    todo = list(targets)
    while todo:
        for dep in edges.get(todo.pop(), ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def reaches(edges: Mapping[str, set[str]], sources: Iterable[str], targets: Iterable[str]) -> list[list[str]]:
    """Chains by which any target waits (transitively) on any source; empty when none does.

    Walks `waits_on` edges backwards from the targets; one shortest chain per (target, source) found.
    """
    wanted = set(sources)
    found: list[list[str]] = []
    for target in targets:
        previous: dict[str, str | None] = {target: None}
        frontier = [target]
        while frontier:
            nxt: list[str] = []
            for urn in frontier:
                for dep in sorted(edges.get(urn, ())):
                    if dep in previous:
                        continue
                    previous[dep] = urn
                    if dep in wanted:
                        chain: list[str] = [dep]
                        at: str | None = urn
                        while at is not None:
                            chain.append(at)
                            at = previous[at]
                        found.append(chain)
                    nxt.append(dep)
            frontier = nxt
    return found


def minutes(seconds: float) -> str:
    """`425` -> `7m 05s`."""
    whole = round(seconds)
    return f"{whole // 60}m {whole % 60:02d}s"


def render_text(path: CriticalPath, title: str, console: Console) -> None:
    """The chain, the total, each top-level component's own finishing chain, what the ECS services wait on."""
    console.print(f"[bold]Critical path of {escape(title)}: {minutes(path.total)}[/] (estimate of a first "
                  "`pulumi up`: the longest dependency chain, typical creation times of "
                  "connectctl/critical_path.py, unbounded parallelism)")
    table = Table(show_header=True, header_style="bold")
    for column in ("#", "resource", "type", "component", "duration", "cumulative"):
        table.add_column(column, justify="right" if column in ("#", "duration", "cumulative") else "left")
    for index, step in enumerate(path.chain, 1):
        table.add_row(str(index), escape(step.name), step.type, escape(step.component or "(stack)"),
                      minutes(step.seconds), minutes(step.finish))
    console.print(table)
    per = Table(title="Per top-level component: when it completes, and the chain that completes it last",
                show_header=True, header_style="bold")
    for column in ("component", "completes", "its longest chain (resource duration, in order)"):
        per.add_column(column, justify="right" if column == "completes" else "left", overflow="fold")
    for label, chain in sorted(path.components.items(), key=lambda item: -(item[1][-1].finish if item[1] else 0)):
        shown = " -> ".join(f"{s.name} {minutes(s.seconds)}" for s in chain if s.seconds) or "-"
        per.add_row(escape(label), minutes(chain[-1].finish) if chain else "0m 00s", escape(shown))
    console.print(per)
    if path.services_wait_on or path.services_never_wait_on:
        console.print(f"ECS services wait on: {escape(', '.join(path.services_wait_on) or 'nothing')}; "
                      f"never on: {escape(', '.join(path.services_never_wait_on) or 'nothing')}")


def print_report(plan: Plan, json_output: bool) -> None:
    """`connectctl plan --critical-path`: the report, or the plan document with `criticalPath` added."""
    path = critical_path(plan.capture.resources)
    if json_output:
        sys.stdout.write(json.dumps({**plan.as_json(), "criticalPath": path.as_json()}, indent=2) + "\n")
        return
    console = Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 140)
    render_text(path, f"{plan.capture.project}/{plan.capture.stack}", console)
    console.print(f"Policy findings: {len(plan.mandatory)} mandatory, {len(plan.advisory)} advisory "
                  "(`connectctl plan` without --critical-path lists them)")
    console.print(escape(str(plan.pack)))
