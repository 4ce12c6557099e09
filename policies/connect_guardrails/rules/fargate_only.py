"""fargate-only: the platform's compute is ECS on Fargate; no virtual machine anywhere in the stack.

Judged by what the resources are:
- Virtual machines, and what launches or reserves them, are violations: EC2 instances, spot instance and
  spot fleet requests, EC2 fleets, launch templates and launch configurations, Auto Scaling groups,
  dedicated hosts, capacity reservations, EKS node groups, EMR clusters, Lightsail instances, Elastic
  Beanstalk environments, and AWS Batch compute environments that are not Fargate (`computeResources.type`
  `EC2`/`SPOT`, or unmanaged).
- ECS on EC2 is a violation: any `aws:ecs/capacityProvider:CapacityProvider` (FARGATE and FARGATE_SPOT are
  built in; every declared capacity provider is an Auto Scaling group or ECS Managed Instances, both EC2:
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-capacity-providers.html);
  `ClusterCapacityProviders` naming any other provider in `capacityProviders` or the default strategy; a
  service whose `launchType` is not `FARGATE`, whose `capacityProviderStrategies` name another provider, or
  that has neither and whose cluster has no default strategy of Fargate providers only (ECS then uses the
  cluster's default strategy, and without one the EC2 launch type:
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html); a task definition whose
  `requiresCompatibilities` is not exactly `FARGATE` (EC2, EXTERNAL and MANAGED_INSTANCES need hosts; unset,
  ECS never validates it for Fargate); an EventBridge rule target (`EventTarget.ecsTarget`) or an EventBridge
  Scheduler schedule (`target.ecsParameters`) that runs ECS tasks on another launch type or capacity provider,
  or with neither on a cluster without a Fargate default strategy (the same choice as a service's).
Lambda functions are compute outside the design too, but not virtual machines: `allowed-resource-types`
refuses them (as every type outside the design), and a function the client truly needs is an exemption of
that rule, with its reason and expiry. Wherever it is admitted, a function in a VPC attaches only to private
subnets (`private-subnets-only`, unwaivable: never the ingress subnets). This rule does not report functions,
so one function is never two findings.
Unknown launch types, strategies and compatibilities decide the outcome (preview note); a strategy entry
fed by a declared capacity provider is EC2.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.ecs_util import SERVICE, TASK_DEFINITION, cluster_name_of
from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_unknown, known_str, plain, unknown_path
from connect_guardrails.util import Index, as_list, deps_of, path_value

MACHINES = {
    "aws:ec2/instance:Instance": "EC2 instance",
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest": "EC2 spot instance request",
    "aws:ec2/spotFleetRequest:SpotFleetRequest": "EC2 spot fleet request",
    "aws:ec2/fleet:Fleet": "EC2 fleet",
    "aws:ec2/launchTemplate:LaunchTemplate": "EC2 launch template",
    "aws:ec2/launchConfiguration:LaunchConfiguration": "EC2 launch configuration",
    "aws:autoscaling/group:Group": "Auto Scaling group",
    "aws:ec2/dedicatedHost:DedicatedHost": "EC2 dedicated host",
    "aws:ec2/capacityReservation:CapacityReservation": "EC2 capacity reservation",
    "aws:eks/nodeGroup:NodeGroup": "EKS node group",
    "aws:emr/cluster:Cluster": "EMR cluster",
    "aws:lightsail/instance:Instance": "Lightsail instance",
    "aws:elasticbeanstalk/environment:Environment": "Elastic Beanstalk environment",
}
BATCH = "aws:batch/computeEnvironment:ComputeEnvironment"
CAPACITY_PROVIDER = "aws:ecs/capacityProvider:CapacityProvider"
CLUSTER_PROVIDERS = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
FARGATE = "FARGATE"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SCHEDULE = "aws:scheduler/schedule:Schedule"
# Where a task launcher keeps its launch choice: (object path to the ECS parameters, property fed by the cluster).
LAUNCHERS = {EVENT_TARGET: (("ecsTarget",), "arn"), SCHEDULE: (("target", "ecsParameters"), "target")}


def _providers(owner: PolicyResource, prop: str, key: str | None, pending: Pending) -> tuple[list[str], bool]:
    """(capacity providers named in `prop` that are not Fargate, whether the list is known and non-empty).

    `key` reads the provider out of strategy entries. Unknown entries fed by a declared capacity provider are
    EC2; other unknowns are recorded."""
    value = plain(get_raw(owner.props, prop))
    fed = [r.name for r in deps_of(owner, prop) if r.resource_type == CAPACITY_PROVIDER]
    if is_unknown(value):
        if fed:
            return [f"'{name}'" for name in fed], True
        pending.add(owner.props, prop)
        return [], False
    entries = as_list(value)
    others: list[str] = []
    for index, entry in enumerate(entries):
        name = entry.get(key) if key is not None and isinstance(entry, dict) else entry
        if is_unknown(name) or name in (None, ""):
            if fed:
                others.append(f"'{fed[min(index, len(fed) - 1)]}'")
            elif name not in (None, ""):
                pending.add(owner.props, prop, index, *((key,) if key else ()))
        elif name not in FARGATE_PROVIDERS:
            others.append(repr(name))
    return others, bool(entries)


class _Clusters:
    """Each cluster's default capacity provider strategy: Fargate only, or not (indexed once per check)."""

    def __init__(self, index: Index) -> None:
        self.fargate_default: set[str] = set()  # cluster URNs and known names whose default strategy is Fargate
        self.undecided: dict[str, PolicyResource] = {}  # cluster URNs and names whose default strategy is unknown
        for declared in index.of_type(CLUSTER_PROVIDERS):
            unknown = Pending()
            others, given = _providers(declared, "defaultCapacityProviderStrategies", "capacityProvider", unknown)
            keys = [c.urn for c in deps_of(declared, "clusterName")]
            name = known_str(declared.props, "clusterName")
            keys += [name] if name else []
            for key in keys:
                if unknown and not others:
                    self.undecided[key] = declared
                elif given and not others:
                    self.fargate_default.add(key)

    def default_problem(self, service: PolicyResource, pending: Pending, prop: str = "cluster",
                        name: Any = None) -> bool:
        """True when the cluster (fed `prop`, or named) has no Fargate-only default strategy (unknowns: False)."""
        value = get_raw(service.props, prop) if name is None else name
        keys = [c.urn for c in deps_of(service, prop)] + [cluster_name_of(value)]
        if any(k in self.fargate_default for k in keys if k):
            return False
        undecided = [self.undecided[k] for k in keys if k and k in self.undecided]
        for declared in undecided:
            pending.add(declared.props, "defaultCapacityProviderStrategies")
        return not undecided


def _service_problem(service: PolicyResource, clusters: _Clusters, pending: Pending) -> str | None:
    launch_type = pending.read(service.props, "launchType")
    if is_unknown(launch_type):
        return None
    if launch_type not in (None, ""):
        return None if launch_type == FARGATE else f"runs on the {launch_type} launch type"
    others, given = _providers(service, "capacityProviderStrategies", "capacityProvider", pending)
    if others:
        return f"its capacity provider strategy uses {', '.join(others)}, not FARGATE/FARGATE_SPOT"
    if given or is_unknown(get_raw(service.props, "capacityProviderStrategies")):
        return None
    if not clusters.default_problem(service, pending):
        return None
    return ("it names no launch type and no capacity provider strategy, and its cluster has no default strategy "
            "of Fargate providers only: ECS runs it on EC2")


def _launcher_problem(launcher: PolicyResource, clusters: _Clusters, pending: Pending) -> str | None:
    """An event target or schedule that runs ECS tasks: the same launch choice as a service's."""
    path, cluster_prop = LAUNCHERS[launcher.resource_type]
    whole = plain(launcher.props)
    parameters = path_value(whole, path)
    if parameters is None:
        return None  # not an ECS target
    if is_unknown(parameters) or not isinstance(parameters, dict):
        if is_unknown(parameters):
            pending.add(launcher.props, *path)
        return None
    launch_type = parameters.get("launchType")
    if is_unknown(launch_type):
        pending.add(launcher.props, *path, "launchType")
        return None
    if launch_type not in (None, ""):
        return None if launch_type == FARGATE else f"it runs ECS tasks on the {launch_type} launch type"
    strategies = parameters.get("capacityProviderStrategies") or parameters.get("capacityProviderStrategy")
    names = [e.get("capacityProvider") for e in strategies or [] if isinstance(e, dict)]
    if unknown_path(names) is not None:
        pending.add(launcher.props, *path)
        return None
    others = [repr(n) for n in names if n not in FARGATE_PROVIDERS]
    if others:
        return f"it runs ECS tasks on capacity provider {', '.join(others)}, not FARGATE/FARGATE_SPOT"
    if names:
        return None
    cluster = path_value(whole, ("arn",) if launcher.resource_type == EVENT_TARGET else ("target", "arn"))
    if not clusters.default_problem(launcher, pending, cluster_prop, cluster if isinstance(cluster, str) else ""):
        return None
    return ("it runs ECS tasks with no launch type and no capacity provider strategy on a cluster without a default "
            "strategy of Fargate providers only: ECS runs them on EC2")


def _task_problem(task: PolicyResource, pending: Pending) -> str | None:
    value = plain(pending.read(task.props, "requiresCompatibilities"))
    if is_unknown(value):
        return None
    required = [v for v in as_list(value) if v not in (None, "")]
    if any(is_unknown(v) for v in required):
        pending.add(task.props, "requiresCompatibilities")
        return None
    if not required:
        return "it requires no compatibility (requiresCompatibilities unset): ECS does not validate it for Fargate"
    others = [str(v) for v in required if v != FARGATE]
    return f"it requires {', '.join(others)} compatibility (hosts to run on)" if others else None


def _batch_problem(environment: PolicyResource, pending: Pending) -> str | None:
    resources = plain(get_raw(environment.props, "computeResources"))
    kind = resources.get("type") if isinstance(resources, dict) else resources
    if is_unknown(kind):
        pending.add(environment.props, "computeResources")
        return None
    if kind in FARGATE_PROVIDERS:
        return None
    return f"it runs jobs on {kind} instances" if kind else "it is unmanaged (you bring the EC2 instances)"


def _problem(resource: PolicyResource, clusters: _Clusters, pending: Pending) -> tuple[str, str] | None:
    """(what the resource is, why it is compute outside the design), or None."""
    kind = resource.resource_type
    if kind in MACHINES:
        return MACHINES[kind], "a virtual machine, or what launches or reserves one"
    if kind == CAPACITY_PROVIDER:
        return "ECS capacity provider", "EC2 capacity for ECS (Fargate needs no declared capacity provider)"
    if kind == CLUSTER_PROVIDERS:
        found: list[str] = []
        for prop, key in (("capacityProviders", None), ("defaultCapacityProviderStrategies", "capacityProvider")):
            others, _ = _providers(resource, prop, key, pending)
            found += [f"{name} ({prop})" for name in others]
        return ("ECS cluster capacity providers", f"they name {', '.join(found)}, not FARGATE/FARGATE_SPOT") \
            if found else None
    problem: str | None = None
    if kind == SERVICE:
        problem = _service_problem(resource, clusters, pending)
    elif kind == TASK_DEFINITION:
        problem = _task_problem(resource, pending)
    elif kind == BATCH:
        problem = _batch_problem(resource, pending)
    elif kind in LAUNCHERS:
        problem = _launcher_problem(resource, clusters, pending)
    labels = {SERVICE: "ECS service", TASK_DEFINITION: "ECS task definition", BATCH: "Batch compute environment",
              EVENT_TARGET: "EventBridge target", SCHEDULE: "EventBridge Scheduler schedule"}
    return (labels[kind], problem) if problem else None


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """No VMs (instances, templates, groups, fleets, hosts, node groups...), no EC2 capacity for ECS; services and
    task definitions run on Fargate only."""
    pending = Pending()
    index = Index.of(args.resources)
    clusters = _Clusters(index)
    for resource in index.resources:
        found = _problem(resource, clusters, pending) if resource.resource_type.startswith("aws:") else None
        if found:
            what, why = found
            report_violation(
                f"{what} '{resource.name}': {why}; the platform's compute is ECS services on Fargate, no virtual "
                f"machines",
                resource.urn,
            )
    pending.settle()


RULE = Rule(
    id="fargate-only", severity="high", check=check,
    description="Compute is ECS on Fargate only: no EC2 instances, launch templates, Auto Scaling groups, fleets, "
                "node groups, EC2 capacity providers, EC2 launch types or EC2-compatible task definitions.",
    iso27001=("A.8.9", "A.8.19"), ccm=("IVS-04",),
    remediation=(
        "Run the workload as an aws.ecs.Service with launch_type='FARGATE' and a task definition with "
        "requires_compatibilities=['FARGATE'] (network_mode='awsvpc'); remove EC2 instances, launch templates, "
        "Auto Scaling groups, fleets and capacity providers (a one-off job is an ECS task on Fargate too)."
    ),
)
