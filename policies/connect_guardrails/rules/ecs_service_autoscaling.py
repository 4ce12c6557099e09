"""ecs-service-autoscaling: every ECS service has a scalable target with a sane floor and a scaling policy.

A target (`aws:appautoscaling/target:Target`) belongs to a service when the service fed its
`resourceId` (a property dependency: `Output.concat("service/", cluster.name, "/", service.name)`
holds in preview, when names may be unknown), or when its known `resourceId` is
`service/<cluster name>/<service name>` (the cluster's name from the cluster that fed the service's
`cluster`, or from the service's own `cluster` value, a name or cluster ARN).
The target must scale `ecs` / `ecs:service:DesiredCount` with `minCapacity` >= 1 (>= 2 when the pack
config says `production`; the capacity floor must be explicit, anchors trap 4) and
`maxCapacity` >= `minCapacity`. A scaling policy (`aws:appautoscaling/policy:Policy`) must use the
target: the target fed its `resourceId`, `scalableDimension` or `serviceNamespace`, the service fed
its `resourceId`, or its known `resourceId` and dimension equal the target's.
Services with the DAEMON scheduling strategy run one task per instance and cannot scale: exempt.
When the pack config names a `standbyRegion`, services whose provider is in that region are the DR
standby (pilot light: zero tasks until failover): their floor is 0, production or not; they still need
a target and a scaling policy, so failover only raises the floor.

A service passes when one of its targets has no problem; otherwise each of its targets is reported.
Unknown values that decide the outcome are left to the engine's "can't run policy" note.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.ecs_util import CLUSTER, SERVICE, cluster_name_of
from connect_guardrails.rule import Rule
from connect_guardrails.util import (
    Pending,
    config_of,
    depends_on,
    deps_of,
    deps_of_type,
    get_raw,
    is_unknown,
    of_type,
    provider_region,
)

TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"


def _known_str(resource: PolicyResource, key: str) -> str | None:
    value = get_raw(resource.props, key)
    return value if isinstance(value, str) and value and not is_unknown(value) else None


def _resource_id(service: PolicyResource) -> str | None:
    """`service/<cluster>/<service>` when both names are known, else None."""
    name = _known_str(service, "name")
    clusters = deps_of_type(service, "cluster", CLUSTER)
    cluster = _known_str(clusters[0], "name") if clusters else cluster_name_of(get_raw(service.props, "cluster"))
    return f"service/{cluster}/{name}" if name and cluster else None


def _links(target: PolicyResource, service: PolicyResource, resource_id: str | None) -> bool:
    """The target scales this service: it was fed by it, or names it literally in the same region.

    The same `service/<cluster>/<name>` exists in every region (a DR standby repeats it), so a
    literal match only counts when a dependency does not already tie the target to another service
    and both sit in the same region.
    """
    if depends_on(target, "resourceId", service):
        return True
    if any(r.resource_type == SERVICE for r in deps_of(target, "resourceId")):
        return False  # fed by another service: it scales that one
    same_region = provider_region(target.provider) == provider_region(service.provider)
    return same_region and resource_id is not None and _known_str(target, "resourceId") == resource_id


def _may_link(target: PolicyResource) -> bool:
    """An unknown resourceId fed by no ECS service could still name any service (e.g. from a lookup)."""
    return is_unknown(get_raw(target.props, "resourceId")) and not any(
        r.resource_type == SERVICE for r in deps_of(target, "resourceId")
    )


def _has_policy(target: PolicyResource, service: PolicyResource, policies: list[PolicyResource]) -> bool:
    for policy in policies:
        if any(depends_on(policy, key, target) for key in ("resourceId", "scalableDimension", "serviceNamespace")):
            return True
        if depends_on(policy, "resourceId", service) and _known_str(policy, "scalableDimension") == DIMENSION:
            return True
        known = _known_str(target, "resourceId")
        same_region = provider_region(policy.provider) == provider_region(target.provider)
        if same_region and known is not None and _known_str(policy, "resourceId") == known and \
                _known_str(policy, "scalableDimension") == DIMENSION:
            return True
    return False


Unknowns = list[tuple[PolicyResource, str]]


def _number(target: PolicyResource, key: str, unknowns: Unknowns) -> float | None:
    value = get_raw(target.props, key)
    if is_unknown(value):
        unknowns.append((target, key))
        return None
    return float(value) if isinstance(value, int | float) else None


def _problems(target: PolicyResource, service: PolicyResource, policies: list[PolicyResource], floor: int,
              production: bool, unknowns: Unknowns) -> list[str]:
    """Why a target of the service does not satisfy the rule (empty: it does, unless `unknowns` grew)."""
    problems: list[str] = []
    for key, expected in (("serviceNamespace", NAMESPACE), ("scalableDimension", DIMENSION)):
        value = get_raw(target.props, key)
        if is_unknown(value):
            unknowns.append((target, key))
        elif value != expected:
            problems.append(f"it scales {key} {value!r}, not {expected!r}")
    low, high = _number(target, "minCapacity", unknowns), _number(target, "maxCapacity", unknowns)
    if low is not None and low < floor:
        why = " (production: at least 2 tasks)" if production and floor == 2 else ""
        problems.append(f"minCapacity {low:g} is below {floor}{why}")
    if low is not None and high is not None and high < low:
        problems.append(f"maxCapacity {high:g} is below minCapacity {low:g}")
    if not _has_policy(target, service, policies):
        problems.append("no scaling policy (aws.appautoscaling.Policy) uses it")
    return problems


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per ECS service: a DesiredCount target, min >= 1 (2 in production, 0 in the standby region), max >= min,
    a scaling policy."""
    pending = Pending()
    config = config_of(args)
    production = bool(config.get("production", False))
    standby_region = config.get("standbyRegion") or None
    resources = list(args.resources)
    targets = list(of_type(resources, TARGET))
    policies = list(of_type(resources, SCALING_POLICY))
    for service in of_type(resources, SERVICE):
        if get_raw(service.props, "schedulingStrategy") == "DAEMON":
            continue  # an unknown strategy is REPLICA, the default: DAEMON is always written out
        standby = standby_region is not None and provider_region(service.provider) == standby_region
        floor = 0 if standby else 2 if production else 1
        resource_id = _resource_id(service)
        mine = [t for t in targets if _links(t, service, resource_id)]
        if not mine:
            maybe = [t for t in targets if _may_link(t)]
            for target in maybe:
                pending.add(target.props, "resourceId")
            if not maybe:
                report_violation(
                    f"ECS service '{service.name}' has no Application Auto Scaling target; add an "
                    f"aws.appautoscaling.Target(service_namespace='ecs', scalable_dimension='{DIMENSION}', "
                    f"resource_id=Output.concat('service/', cluster.name, '/', service.name)) and a scaling policy",
                    service.urn,
                )
            continue
        found: dict[str, tuple[PolicyResource, list[str], Unknowns]] = {}
        for target in mine:
            unknowns: Unknowns = []
            found[target.urn] = (target, _problems(target, service, policies, floor, production, unknowns), unknowns)
        if any(not problems and not unknowns for _, problems, unknowns in found.values()):
            continue
        undecided = [u for _, problems, unknowns in found.values() if not problems for u in unknowns]
        for resource, key in undecided:
            pending.add(resource.props, key)
        if undecided:
            continue
        for target, problems, _ in found.values():
            report_violation(
                f"scalable target '{target.name}' of ECS service '{service.name}': {'; '.join(problems)}; a service "
                f"scales between minCapacity >= {floor} and maxCapacity >= minCapacity with a scaling policy",
                target.urn,
            )
    pending.settle()


RULE = Rule(
    id="ecs-service-autoscaling",
    description="Each ECS service has a scalable target (min >= 1, >= 2 in production, 0 allowed in the DR "
                "standby region, max >= min) and a scaling policy.",
    kind="stack",
    level="mandatory",
    severity="medium",
    owner="client",
    anchors=(),
    iso27001=("A.8.6", "A.8.14"),
    ccm=("IVS-02",),
    remediation=(
        "For each aws.ecs.Service add aws.appautoscaling.Target(service_namespace='ecs', "
        "scalable_dimension='ecs:service:DesiredCount', resource_id=Output.concat('service/', cluster.name, '/', "
        "service.name), min_capacity>=1 (2 in production), max_capacity>=min) and an aws.appautoscaling.Policy "
        "with resource_id=target.resource_id."
    ),
    unwaivable=False,
    check=check,
    config={
        "production": {
            "type": "boolean",
            "default": False,
            "description": "The stack serves production: every service keeps at least 2 tasks.",
        },
        "standbyRegion": {
            "type": "string",
            "description": "The DR standby region: services whose provider is in it may scale to 0 tasks (pilot "
                           "light); unset: no standby services.",
        },
    },
)
