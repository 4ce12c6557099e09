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
Scheduled actions (`aws:appautoscaling/scheduledAction:ScheduledAction`) set the floor too, on their schedule:
one that belongs to a service (linked like a policy: its target or the service fed its `resourceId`,
`scalableDimension` or `serviceNamespace`, or its known `resourceId` is the target's or the service's) may not
set `scalableTargetAction.minCapacity` or `maxCapacity` below the service's base: the floor above (2 in
production), or the base its target declares (`minCapacity`, the client-agreed base), whichever is higher. A
nightly action to 0 is a production outage on a timer
(https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-scheduled-scaling.html).
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
from connect_guardrails.unknowns import Pending, get_raw, is_known, is_unknown
from connect_guardrails.util import config_of, deps_of, deps_of_type, of_type, provider_region

TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
SCHEDULED_ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"
LINK_KEYS = ("resourceId", "scalableDimension", "serviceNamespace")
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


def _may_link(target: PolicyResource) -> bool:
    """An unknown resourceId fed by no ECS service could still name any service (e.g. from a lookup)."""
    return is_unknown(get_raw(target.props, "resourceId")) and not any(
        r.resource_type == SERVICE for r in deps_of(target, "resourceId")
    )


class Links:
    """Which targets scale a service, and whether a scaling policy uses a target: indexed once per check.

    Each target and policy is read once here; a service's targets and a target's policy are then
    dictionary lookups, so the rule is linear in the stack (testing every target against every
    service and every policy against every target was quadratic: 1.9 s at 200 services).

    A target scales a service when the service fed its `resourceId` (by URN), or, if no ECS service
    fed it, when its known `resourceId` is the service's `service/<cluster>/<name>` in the same
    region: the same name exists in every region (a DR standby repeats it), and a target fed by
    another service scales that one.
    A policy uses a target when the target fed its `resourceId`, `scalableDimension` or
    `serviceNamespace`; or the service fed its `resourceId` and it scales `DIMENSION`; or its known
    `resourceId` equals the target's, in the target's region, and it scales `DIMENSION`.
    """

    def __init__(self, targets: list[PolicyResource], policies: list[PolicyResource]) -> None:
        self.targets = targets
        self.maybe = [t for t in targets if _may_link(t)]
        self._fed_by: dict[str, list[int]] = {}  # URN that fed a target's resourceId -> targets (indices)
        self._named: dict[tuple[str | None, str], list[int]] = {}  # (region, known resourceId), no service fed it
        for index, target in enumerate(targets):
            fed = deps_of(target, "resourceId")
            for urn in dict.fromkeys(r.urn for r in fed):
                self._fed_by.setdefault(urn, []).append(index)
            known = _known_str(target, "resourceId")
            if known is not None and not any(r.resource_type == SERVICE for r in fed):
                self._named.setdefault((provider_region(target.provider), known), []).append(index)
        self._used: set[str] = set()  # URNs that fed a policy's resourceId, scalableDimension or serviceNamespace
        self._fed_dimension: set[str] = set()  # URNs that fed the resourceId of a policy scaling DIMENSION
        self._named_dimension: set[tuple[str | None, str]] = set()  # (region, known resourceId) of such policies
        for policy in policies:
            for key in ("resourceId", "scalableDimension", "serviceNamespace"):
                self._used.update(r.urn for r in deps_of(policy, key))
            if _known_str(policy, "scalableDimension") != DIMENSION:
                continue
            self._fed_dimension.update(r.urn for r in deps_of(policy, "resourceId"))
            known = _known_str(policy, "resourceId")
            if known is not None:
                self._named_dimension.add((provider_region(policy.provider), known))

    def targets_of(self, service: PolicyResource, resource_id: str | None) -> list[PolicyResource]:
        """The service's targets, in stack order; `resource_id` is its known `service/<cluster>/<name>`."""
        found = set(self._fed_by.get(service.urn, ()))
        if resource_id is not None:
            found.update(self._named.get((provider_region(service.provider), resource_id), ()))
        return [self.targets[index] for index in sorted(found)]

    def has_policy(self, target: PolicyResource, service: PolicyResource) -> bool:
        """A scaling policy uses this target of the service."""
        if target.urn in self._used or service.urn in self._fed_dimension:
            return True
        known = _known_str(target, "resourceId")
        return known is not None and (provider_region(target.provider), known) in self._named_dimension


class Schedules:
    """Which scheduled actions belong to a service or its targets: indexed once per check, like `Links`."""

    def __init__(self, actions: list[PolicyResource]) -> None:
        self._fed: dict[str, list[PolicyResource]] = {}  # URN that fed an action's link keys -> actions
        self._named: dict[tuple[str | None, str], list[PolicyResource]] = {}  # (region, known resourceId) -> actions
        self.unlinked: list[PolicyResource] = []  # unknown resourceId fed by no service or target
        for action in actions:
            feeders = {r.urn: r for key in LINK_KEYS for r in deps_of(action, key)}
            for urn in feeders:
                self._fed.setdefault(urn, []).append(action)
            known = _known_str(action, "resourceId")
            if known is not None:
                self._named.setdefault((provider_region(action.provider), known), []).append(action)
            elif not any(r.resource_type in (SERVICE, TARGET) for r in feeders.values()):
                self.unlinked.append(action)

    def of(self, service: PolicyResource, resource_id: str | None,
           targets: list[PolicyResource]) -> list[PolicyResource]:
        """The scheduled actions of a service or of its targets (deduplicated)."""
        found: dict[str, PolicyResource] = {}
        region = provider_region(service.provider)
        for owner in (service, *targets):
            found |= {a.urn: a for a in self._fed.get(owner.urn, ())}
        for known in [resource_id, *(_known_str(t, "resourceId") for t in targets)]:
            if known:
                found |= {a.urn: a for a in self._named.get((region, known), ())}
        return list(found.values())


Unknowns = list[tuple[PolicyResource, str]]


def _number(target: PolicyResource, key: str, unknowns: Unknowns) -> float | None:
    value = get_raw(target.props, key)
    if is_unknown(value):
        unknowns.append((target, key))
        return None
    return float(value) if isinstance(value, int | float) else None


def _problems(target: PolicyResource, service: PolicyResource, links: Links, floor: int,
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
    if not links.has_policy(target, service):
        problems.append("no scaling policy (aws.appautoscaling.Policy) uses it")
    return problems


def _base(targets: list[PolicyResource], floor: int, production: bool) -> tuple[float, str]:
    """The service's base: the floor, or the highest known minCapacity its targets declare; and why."""
    declared = [v for t in targets if isinstance(v := get_raw(t.props, "minCapacity"), int | float)
                and not isinstance(v, bool)]
    if declared and max(declared) > floor:
        return float(max(declared)), "the base its scalable target declares"
    if floor == 0:
        return 0.0, "the standby floor"
    return float(floor), "production: at least 2 tasks" if production and floor == 2 else "at least 1 task"


def _check_action(action: PolicyResource, service: PolicyResource, targets: list[PolicyResource], floor: int,
                  production: bool, report_violation: ReportViolation, pending: Pending) -> None:
    """A scheduled action of the service sets min/max capacity no lower than the service's base."""
    dimension = get_raw(action.props, "scalableDimension")
    if isinstance(dimension, str) and not is_unknown(dimension) and dimension != DIMENSION:
        return
    step = pending.read(action.props, "scalableTargetAction")
    if is_unknown(step):
        return
    base, why = _base(targets, floor, production)
    low: list[str] = []
    for key in ("minCapacity", "maxCapacity"):
        value = pending.read(action.props, "scalableTargetAction", key)
        if is_known(value) and isinstance(value, int | float) and not isinstance(value, bool) and value < base:
            low.append(f"{key} {value:g}")
    if low:
        schedule = get_raw(action.props, "schedule")
        when = f" on {schedule}" if isinstance(schedule, str) and not is_unknown(schedule) else ""
        report_violation(
            f"scheduled action '{action.name}' of ECS service '{service.name}' sets {' and '.join(low)}{when}, below "
            f"the service's base of {base:g} ({why}); a schedule may raise capacity, never take the service below "
            f"its base",
            action.urn,
        )


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per ECS service: a DesiredCount target, min >= 1 (2 in production, 0 in the standby region), max >= min,
    a scaling policy; no scheduled action below the service's base."""
    pending = Pending()
    config = config_of(args)
    production = bool(config.get("production", False))
    standby_region = config.get("standbyRegion") or None
    resources = list(args.resources)
    links = Links(list(of_type(resources, TARGET)), list(of_type(resources, SCALING_POLICY)))
    schedules = Schedules(list(of_type(resources, SCHEDULED_ACTION)))
    for action in schedules.unlinked:
        pending.add(action.props, "resourceId")  # could schedule any service
    for service in of_type(resources, SERVICE):
        if get_raw(service.props, "schedulingStrategy") == "DAEMON":
            continue  # an unknown strategy is REPLICA, the default: DAEMON is always written out
        standby = standby_region is not None and provider_region(service.provider) == standby_region
        floor = 0 if standby else 2 if production else 1
        resource_id = _resource_id(service)
        mine = links.targets_of(service, resource_id)
        for action in schedules.of(service, resource_id, mine):
            _check_action(action, service, mine, floor, production, report_violation, pending)
        if not mine:
            for target in links.maybe:
                pending.add(target.props, "resourceId")
            if not links.maybe:
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
            found[target.urn] = (target, _problems(target, service, links, floor, production, unknowns), unknowns)
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
    id="ecs-service-autoscaling", severity="medium", owner="client", check=check,
    description="Each ECS service has a scalable target (min >= 1, >= 2 in production, 0 allowed in the DR "
                "standby region, max >= min) and a scaling policy; no scheduled action takes it below its base.",
    iso27001=("A.8.6", "A.8.14"), ccm=("IVS-02",),
    remediation=(
        "For each aws.ecs.Service add aws.appautoscaling.Target(service_namespace='ecs', "
        "scalable_dimension='ecs:service:DesiredCount', resource_id=Output.concat('service/', cluster.name, '/', "
        "service.name), min_capacity>=1 (2 in production), max_capacity>=min) and an aws.appautoscaling.Policy "
        "with resource_id=target.resource_id. Scheduled actions (aws.appautoscaling.ScheduledAction) may raise "
        "min_capacity/max_capacity, never set them below the target's min_capacity."
    ),
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
