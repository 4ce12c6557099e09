"""ecs-service-autoscaling stays linear, and its indexed links decide exactly as testing every pair did.

No timing: the stack is built from the rule's input objects (`PolicyResource`s as `analyze` builds
them, props behind the SDK's unknown-checking proxy) whose attribute reads are counted. The work of a
check is those reads; at 4x the services it must grow about 4x, not 16x. The findings are compared
with the rule run over `ReferenceLinks`, the quadratic pairwise tests the rule used before its index,
on a mixed stack (targets and policies linked by dependency and by literal `resourceId`, missing
targets and policies, targets and policies in another region, a DR standby twin, unknowns).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from connect_guardrails.ecs_util import CLUSTER, SERVICE
from connect_guardrails.rules import ecs_service_autoscaling as rule
from connect_guardrails.util import depends_on, deps_of, provider_region

PRIMARY, STANDBY = "us-east-1", "us-west-2"
DIMENSION = rule.DIMENSION
READS = [0]  # attribute reads on the stack's resources since the last reset


class Counted(PolicyResource):
    """A stack resource that counts every attribute read (urn, props, provider, property dependencies...)."""

    def __getattribute__(self, name: str) -> Any:
        READS[0] += 1
        return object.__getattribute__(self, name)


PROVIDERS = {region: PolicyProviderResource(
    "pulumi:providers:aws", unknown_checking_proxy({"region": region}),
    f"urn:pulumi:test::connect::pulumi:providers:aws::{region}", region) for region in (PRIMARY, STANDBY)}


def resource(type_: str, name: str, props: dict[str, Any], region: str = PRIMARY,
             deps: dict[str, list[PolicyResource]] | None = None) -> PolicyResource:
    """A stack resource under the region's explicit provider, as `analyze` hands it to stack policies."""
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    return Counted(type_, unknown_checking_proxy(props), f"urn:pulumi:test::connect::{type_}::{name}", name, opts,
                   PROVIDERS[region], None, [r for rs in (deps or {}).values() for r in rs], deps or {})


def service(name: str, region: str = PRIMARY, cluster: str | PolicyResource = "apps", **props: Any) -> PolicyResource:
    """An ECS service named `name` on a cluster given by name, or fed by a cluster resource."""
    if isinstance(cluster, str):
        return resource(SERVICE, f"{name}-{region}", {"name": name, "cluster": cluster, **props}, region)
    return resource(SERVICE, f"{name}-{region}", {"name": name, "cluster": UNKNOWN_STRING_VALUE, **props}, region,
                    {"cluster": [cluster]})


def target(name: str, resource_id: str, region: str = PRIMARY, fed_by: PolicyResource | None = None,
           **props: Any) -> PolicyResource:
    """A DesiredCount target (min 1, max 4 unless given); `fed_by` fed its resourceId."""
    values = {"serviceNamespace": "ecs", "scalableDimension": DIMENSION, "resourceId": resource_id,
              "minCapacity": 1, "maxCapacity": 4, **props}
    return resource(rule.TARGET, name, values, region, {"resourceId": [fed_by]} if fed_by else {})


def policy(name: str, resource_id: str, region: str = PRIMARY, dimension: str = DIMENSION,
           deps: dict[str, list[PolicyResource]] | None = None) -> PolicyResource:
    """A target-tracking scaling policy."""
    values = {"policyType": "TargetTrackingScaling", "resourceId": resource_id, "scalableDimension": dimension,
              "serviceNamespace": "ecs"}
    return resource(rule.SCALING_POLICY, name, values, region, deps)


def literal(name: str, cluster: str = "apps") -> str:
    return f"service/{cluster}/{name}"


def fed(i: int) -> Iterator[PolicyResource]:
    """Target fed by the service, policy fed by the target: passes."""
    s = service(f"fed-{i}")
    t = target(f"fed-{i}", UNKNOWN_STRING_VALUE, fed_by=s)
    yield from (s, t, policy(f"fed-{i}", UNKNOWN_STRING_VALUE, deps={"resourceId": [t], "scalableDimension": [t]}))


def named(i: int) -> Iterator[PolicyResource]:
    """Target and policy by literal resourceId in the service's region: passes."""
    yield from (service(f"named-{i}"), target(f"named-{i}", literal(f"named-{i}")),
                policy(f"named-{i}", literal(f"named-{i}")))


def no_target(i: int) -> Iterator[PolicyResource]:
    yield service(f"lonely-{i}")


def no_policy(i: int) -> Iterator[PolicyResource]:
    s = service(f"unused-{i}")
    yield from (s, target(f"unused-{i}", literal(f"unused-{i}"), fed_by=s))


def target_elsewhere(i: int) -> Iterator[PolicyResource]:
    """The literal target and its policy sit in the standby region: the primary service has no target."""
    yield from (service(f"far-{i}"), target(f"far-{i}", literal(f"far-{i}"), STANDBY),
                policy(f"far-{i}", literal(f"far-{i}"), STANDBY))


def policy_by_service(i: int) -> Iterator[PolicyResource]:
    """The service fed the policy's resourceId and it scales DesiredCount: passes."""
    s = service(f"bysvc-{i}")
    yield from (s, target(f"bysvc-{i}", UNKNOWN_STRING_VALUE, fed_by=s),
                policy(f"bysvc-{i}", UNKNOWN_STRING_VALUE, deps={"resourceId": [s]}))


def policy_elsewhere(i: int) -> Iterator[PolicyResource]:
    """Literal policy in the other region, or of another dimension: the target has no policy."""
    yield from (service(f"nopol-{i}"), target(f"nopol-{i}", literal(f"nopol-{i}")),
                policy(f"nopol-{i}", literal(f"nopol-{i}"), STANDBY),
                policy(f"nopol-{i}-dim", literal(f"nopol-{i}"), dimension="ecs:service:Other"))


def zero_tasks(i: int) -> Iterator[PolicyResource]:
    """min 0 in the standby region (passes with standbyRegion) and in the primary one (never passes)."""
    for region in (PRIMARY, STANDBY):
        s = service(f"zero-{i}", region)
        t = target(f"zero-{i}-{region}", UNKNOWN_STRING_VALUE, region, fed_by=s, minCapacity=0)
        yield from (s, t, policy(f"zero-{i}-{region}", UNKNOWN_STRING_VALUE, region, deps={"resourceId": [t]}))


def standby_twin(i: int) -> Iterator[PolicyResource]:
    """service/apps/twin-i in both regions, a literal target and policy only in the primary one."""
    yield from (service(f"twin-{i}"), service(f"twin-{i}", STANDBY), target(f"twin-{i}", literal(f"twin-{i}")),
                policy(f"twin-{i}", literal(f"twin-{i}")))


def fed_by_other_service(i: int) -> Iterator[PolicyResource]:
    """The target names svc `claimed-i` literally but another service fed it: it scales that one (no policy)."""
    other = service(f"claimer-{i}")
    yield from (service(f"claimed-{i}"), other, target(f"claimed-{i}", literal(f"claimed-{i}"), fed_by=other))


def cluster_resource(i: int) -> Iterator[PolicyResource]:
    """The cluster's name from the cluster resource that fed the service; bad max and min in production."""
    c = resource(CLUSTER, f"cl-{i}", {"name": f"cl-{i}"})
    t = target(f"clustered-{i}", literal(f"clustered-{i}", f"cl-{i}"), minCapacity=3, maxCapacity=2)
    yield from (c, service(f"clustered-{i}", cluster=c), t,
                policy(f"clustered-{i}", UNKNOWN_STRING_VALUE, deps={"serviceNamespace": [t]}))


def cluster_arn(i: int) -> Iterator[PolicyResource]:
    """The cluster given by ARN; two targets, one good, one scaling the wrong namespace: passes."""
    arn = f"arn:aws:ecs:{PRIMARY}:111111111111:cluster/arn-{i}"
    s = service(f"byarn-{i}", cluster=arn)
    good, bad = target(f"byarn-{i}", literal(f"byarn-{i}", f"arn-{i}")), target(
        f"byarn-{i}-bad", UNKNOWN_STRING_VALUE, fed_by=s, serviceNamespace="ec2")
    yield from (s, good, bad, policy(f"byarn-{i}", literal(f"byarn-{i}", f"arn-{i}")))


def all_bad(i: int) -> Iterator[PolicyResource]:
    """Two targets, both wrong: each is reported."""
    s = service(f"allbad-{i}")
    yield from (s, target(f"allbad-{i}-a", UNKNOWN_STRING_VALUE, fed_by=s, minCapacity=0),
                target(f"allbad-{i}-b", literal(f"allbad-{i}"), scalableDimension="ecs:service:Other"))


def daemon(i: int) -> Iterator[PolicyResource]:
    yield service(f"daemon-{i}", schedulingStrategy="DAEMON")


def unknown_floor(i: int) -> Iterator[PolicyResource]:
    """minCapacity unknown on the only target: undecided, left to the engine's note."""
    s = service(f"unknown-{i}")
    t = target(f"unknown-{i}", UNKNOWN_STRING_VALUE, fed_by=s, minCapacity=UNKNOWN_NUMBER_VALUE)
    yield from (s, t, policy(f"unknown-{i}", UNKNOWN_STRING_VALUE, deps={"resourceId": [t]}))


KINDS: list[Callable[[int], Iterator[PolicyResource]]] = [
    fed, named, no_target, no_policy, target_elsewhere, policy_by_service, policy_elsewhere, zero_tasks,
    standby_twin, fed_by_other_service, cluster_resource, cluster_arn, all_bad, daemon,
]


def stack(services: int, *, maybe: bool = False, unknown: bool = False) -> list[PolicyResource]:
    """About `services` services cycling through KINDS (a few kinds hold two services); `maybe` adds a
    target whose unknown resourceId no service fed (it could be anyone's), `unknown` an undecided floor."""
    found: list[PolicyResource] = []
    for i in range(services):
        found.extend(KINDS[i % len(KINDS)](i))
    if unknown:
        found.extend(unknown_floor(services))
    if maybe:
        found.append(target("lookup", UNKNOWN_STRING_VALUE))
    return found


class ReferenceLinks:
    """The rule's links before its index: every target tested against each service, every policy against
    each of the service's targets (the rule's `_links` and `_has_policy` as they were, verbatim)."""

    def __init__(self, targets: list[PolicyResource], policies: list[PolicyResource]) -> None:
        self.targets, self.policies = targets, policies
        self.maybe = [t for t in targets if rule._may_link(t)]

    def targets_of(self, service: PolicyResource, resource_id: str | None) -> list[PolicyResource]:
        return [t for t in self.targets if self._links(t, service, resource_id)]

    @staticmethod
    def _links(target: PolicyResource, service: PolicyResource, resource_id: str | None) -> bool:
        if depends_on(target, "resourceId", service):
            return True
        if any(r.resource_type == SERVICE for r in deps_of(target, "resourceId")):
            return False
        same_region = provider_region(target.provider) == provider_region(service.provider)
        return same_region and resource_id is not None and rule._known_str(target, "resourceId") == resource_id

    def has_policy(self, target: PolicyResource, service: PolicyResource) -> bool:
        for policy in self.policies:
            if any(depends_on(policy, key, target) for key in ("resourceId", "scalableDimension", "serviceNamespace")):
                return True
            if depends_on(policy, "resourceId", service) and rule._known_str(policy, "scalableDimension") == DIMENSION:
                return True
            known = rule._known_str(target, "resourceId")
            same_region = provider_region(policy.provider) == provider_region(target.provider)
            if same_region and known is not None and rule._known_str(policy, "resourceId") == known and \
                    rule._known_str(policy, "scalableDimension") == DIMENSION:
                return True
        return False


Outcome = tuple[list[tuple[str, str | None]], str | None]


def run(resources: list[PolicyResource], config: dict[str, Any] | None = None) -> Outcome:
    """The check's findings (message, URN) in order, and the unknown it settled on (None: none)."""
    reports: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        reports.append((message, urn))

    try:
        rule.check(StackValidationArgs(resources, config or {}), report)
    except UnknownValueError as error:
        return reports, str(error)
    return reports, None


def reads(resources: list[PolicyResource]) -> int:
    """Attribute reads on the stack's resources during one check."""
    READS[0] = 0
    run(resources, {"production": True, "standbyRegion": STANDBY})
    return READS[0]


CONFIGS = {"default": None, "production": {"production": True}, "standby": {"standbyRegion": STANDBY},
           "standby-production": {"standbyRegion": STANDBY, "production": True}}


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize(("maybe", "unknown"), [(False, False), (False, True), (True, False)],
                         ids=["known", "undecided-floor", "lookup-target"])
def test_findings_equal_the_pairwise_reference(config: str, maybe: bool, unknown: bool,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    resources = stack(3 * len(KINDS), maybe=maybe, unknown=unknown)
    indexed = run(resources, CONFIGS[config])
    monkeypatch.setattr(rule, "Links", ReferenceLinks)
    assert indexed == run(resources, CONFIGS[config])


def test_the_mixed_stack_holds_every_outcome() -> None:
    """The reference comparison is not vacuous: passes, each kind of finding, and undecided values."""
    reports, unknown = run(stack(len(KINDS)), {"standbyRegion": STANDBY})
    assert unknown is None
    by_urn = {urn.rsplit("::", 1)[-1]: message for message, urn in reports if urn}
    assert len(by_urn) == len(reports)
    assert set(by_urn) == {
        "lonely-2-us-east-1", "unused-3", "far-4-us-east-1", "nopol-6", "zero-7-us-east-1",
        "twin-8-us-west-2", "claimed-9-us-east-1", "claimed-9", "clustered-10", "allbad-12-a", "allbad-12-b",
    }
    assert "has no Application Auto Scaling target" in by_urn["twin-8-us-west-2"]
    assert "no scaling policy (aws.appautoscaling.Policy) uses it" in by_urn["nopol-6"]
    assert "no scaling policy" in by_urn["claimed-9"]  # the target scales its feeder, claimer-9
    assert "maxCapacity 2 is below minCapacity 3" in by_urn["clustered-10"]
    assert "minCapacity 0 is below 1" in by_urn["zero-7-us-east-1"]
    assert "scalableDimension 'ecs:service:Other'" in by_urn["allbad-12-b"]
    reports, unknown = run(stack(len(KINDS), maybe=True))
    assert unknown is not None and not any("no Application Auto Scaling target" in m for m, _ in reports)
    assert run(stack(len(KINDS), unknown=True))[1] is not None


def test_work_grows_linearly_with_the_services() -> None:
    small, large = stack(4 * len(KINDS), maybe=True), stack(16 * len(KINDS), maybe=True)
    assert len(large) == 4 * len(small) - 3  # the same mix, 4x (one lookup target each)
    ratio = reads(large) / reads(small)
    assert ratio <= 4.5, f"{ratio:.2f}x the work at 4x the services: quadratic again?"


def test_the_work_count_catches_the_pairwise_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter sees quadratic work: the reference grows far beyond 4.5x at 4x the services."""
    monkeypatch.setattr(rule, "Links", ReferenceLinks)
    ratio = reads(stack(16 * len(KINDS))) / reads(stack(4 * len(KINDS)))
    assert ratio > 10, ratio
