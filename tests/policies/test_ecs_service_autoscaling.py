"""ecs-service-autoscaling: per service a DesiredCount target (min >= 1, 2 in production, max >= min) and a policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.ecs_programs import DIMENSION, cluster, program_of, scaling, service, task_definition
from tests.policies.harness import ACCOUNT, assert_one_mandatory, evaluate, findings, notes, pinned

POLICY = "ecs-service-autoscaling"
PRODUCTION = {POLICY: {"production": True}}
TARGET_URN = "aws:appautoscaling/target:Target::api-scaling"


def _stack(p: aws.Provider, *, named: bool = True, **scaling_args: Any) -> None:
    apps = cluster(p, name="apps" if named else None)
    api = service(p, apps, task_definition(p), name="api" if named else None)
    scaling(p, apps, api, **scaling_args)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("pack_config", [None, PRODUCTION], ids=["default", "production"])
def test_scaled_service_passes(preview: bool, pack_config: dict[str, Any] | None) -> None:
    found = evaluate(program_of(_stack), preview=preview, pack_config=pack_config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def test_property_dependencies_link_unnamed_service_in_preview() -> None:
    """Auto-named cluster and service: resourceId is unknown in preview; its dependencies name the service."""
    found = evaluate(program_of(lambda p: _stack(p, named=False)), preview=True)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _literal(p: aws.Provider) -> None:
    """Target and policy by literal resourceId `service/<cluster>/<service>`: no dependency links them."""
    apps = cluster(p)
    service(p, apps, task_definition(p))
    aws.appautoscaling.Target("api-scaling", service_namespace="ecs", scalable_dimension=DIMENSION,
                              resource_id="service/apps/api", min_capacity=1, max_capacity=4, opts=pinned(p))
    aws.appautoscaling.Policy("api-cpu", policy_type="TargetTrackingScaling", resource_id="service/apps/api",
                              scalable_dimension=DIMENSION, service_namespace="ecs",
                              target_tracking_scaling_policy_configuration={
                                  "target_value": 60, "predefined_metric_specification": {
                                      "predefined_metric_type": "ECSServiceAverageCPUUtilization"}},
                              opts=pinned(p))


@pytest.mark.parametrize("preview", [True, False])
def test_literal_resource_id_links_by_names(preview: bool) -> None:
    found = evaluate(program_of(_literal), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _two_services_one_target(p: aws.Provider) -> None:
    apps = cluster(p)
    api = service(p, apps, task_definition(p))
    service(p, apps, task_definition(p, name="worker"), name="worker")
    scaling(p, apps, api)


CASES: dict[str, tuple[dict[str, Any], dict[str, Any] | None, str]] = {
    "min-0": ({"min_capacity": 0}, None, "minCapacity 0 is below 1"),
    "production-min-1": ({"min_capacity": 1}, PRODUCTION, "minCapacity 1 is below 2 (production"),
    "max-below-min": ({"min_capacity": 3, "max_capacity": 2}, None, "maxCapacity 2 is below minCapacity 3"),
    "no-policy": ({"policy": False}, None, "no scaling policy (aws.appautoscaling.Policy) uses it"),
    "target-of-other-service": ({"resource_id": "service/apps/other"}, None, "no Application Auto Scaling target"),
}


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scaling_is_violation(case: str, preview: bool) -> None:
    scaling_args, pack_config, phrase = CASES[case]
    found = findings(evaluate(program_of(lambda p: _stack(p, **scaling_args)), preview=preview,
                              pack_config=pack_config), POLICY)
    urn = "aws:ecs/service:Service::api" if "no Application" in phrase else TARGET_URN
    assert_one_mandatory(found, urn, phrase)


@pytest.mark.parametrize("preview", [True, False])
def test_service_without_target_is_violation(preview: bool) -> None:
    """The api's target does not count for the worker."""
    found = findings(evaluate(program_of(_two_services_one_target), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ecs/service:Service::worker", "has no Application Auto Scaling target")


@pytest.mark.parametrize("preview", [True, False])
def test_daemon_service_is_exempt(preview: bool) -> None:
    def program(p: aws.Provider) -> None:
        apps = cluster(p)
        service(p, apps, task_definition(p), launch_type="EC2", scheduling_strategy="DAEMON")

    found = evaluate(program_of(program), preview=preview)
    assert findings(found, POLICY) == []


STANDBY_REGION = "us-west-2"
STANDBY = {POLICY: {"standbyRegion": STANDBY_REGION}}


def _pilot_light(region: str, min_capacity: int = 0) -> Callable[[], None]:
    """A service (min_capacity tasks) under a provider for `region`, pinned to the tenant account."""
    def program() -> None:
        _stack(aws.Provider("regional", region=region, allowed_account_ids=[ACCOUNT]), min_capacity=min_capacity)

    return program


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("pack_config", [STANDBY, {POLICY: {"standbyRegion": STANDBY_REGION, "production": True}}],
                         ids=["standby", "standby-production"])
def test_standby_region_service_may_run_zero_tasks(preview: bool, pack_config: dict[str, Any]) -> None:
    """Pilot light: the DR region's services scale from 0; failover raises the floor."""
    found = evaluate(_pilot_light(STANDBY_REGION), preview=preview, pack_config=pack_config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("region", "pack_config", "phrase"), [
    ("us-east-1", STANDBY, "minCapacity 0 is below 1;"),
    ("us-east-1", {POLICY: {"standbyRegion": STANDBY_REGION, "production": True}},
     "minCapacity 0 is below 2 (production: at least 2 tasks)"),
    (STANDBY_REGION, None, "minCapacity 0 is below 1;"),
], ids=["primary-region", "primary-region-production", "no-standby-configured"])
def test_zero_tasks_outside_the_standby_region_is_violation(preview: bool, region: str,
                                                             pack_config: dict[str, Any] | None, phrase: str) -> None:
    found = findings(evaluate(_pilot_light(region), preview=preview, pack_config=pack_config), POLICY)
    assert_one_mandatory(found, TARGET_URN, phrase)



def _standby_without_target(p: aws.Provider) -> None:
    """The primary service scales; its DR-region twin (same cluster and service names) has no target."""
    _stack(p)
    dr = aws.Provider("dr", region="us-west-2", allowed_account_ids=[ACCOUNT])
    dr_cluster = aws.ecs.Cluster("apps-dr", name="apps", settings=[{"name": "containerInsights", "value": "enabled"}],
                                 opts=pinned(dr))
    aws.ecs.Service("api-dr", name="api", cluster=dr_cluster.arn, task_definition="api:1", desired_count=0,
                    launch_type="FARGATE", opts=pinned(dr))


@pytest.mark.parametrize("preview", [True, False])
def test_the_primary_target_does_not_vouch_for_a_standby_twin(preview: bool) -> None:
    """service/apps/api names a service in every region: a target scales only the one in its own region."""
    found = findings(evaluate(program_of(_standby_without_target), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:ecs/service:Service::api-dr", "has no Application Auto Scaling target")


# --- scheduled actions: a floor set on a timer -------------------------------------------------------------


def _scheduled(*, night_min: int, night_max: int, by_name: bool = False, raise_only: bool = False,
               target_min: int = 2) -> Callable[[], None]:
    """The api service, its target, and a nightly scheduled action (linked by the target, or by its known id)."""
    def build(p: aws.Provider) -> None:
        apps = cluster(p)
        api = service(p, apps, task_definition(p))
        target = scaling(p, apps, api, min_capacity=target_min)
        resource_id: Any = "service/apps/api" if by_name else target.resource_id
        aws.appautoscaling.ScheduledAction(
            "api-night", service_namespace="ecs", scalable_dimension=DIMENSION, resource_id=resource_id,
            schedule="cron(0 22 * * ? *)",
            scalable_target_action={"min_capacity": night_min, "max_capacity": night_max}, opts=pinned(p))
        if raise_only:
            aws.appautoscaling.ScheduledAction(
                "api-morning", service_namespace="ecs", scalable_dimension=DIMENSION, resource_id=resource_id,
                schedule="cron(0 7 * * ? *)", scalable_target_action={"min_capacity": 6, "max_capacity": 12},
                opts=pinned(p))

    return program_of(build)


@pytest.mark.parametrize("preview", [True, False])
def test_scheduled_actions_at_or_above_the_base_pass(preview: bool) -> None:
    found = evaluate(_scheduled(night_min=2, night_max=4, raise_only=True), preview=preview, pack_config=PRODUCTION)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("by_name", [False, True], ids=["linked-by-target", "linked-by-resource-id"])
def test_nightly_scale_to_zero_in_production_is_violation(preview: bool, by_name: bool) -> None:
    """The outside reader's case: production set to 0 tasks every night by a scheduled action."""
    found = findings(evaluate(_scheduled(night_min=0, night_max=0, by_name=by_name), preview=preview,
                              pack_config=PRODUCTION), POLICY)
    assert_one_mandatory(found, "aws:appautoscaling/scheduledAction:ScheduledAction::api-night",
                         "scheduled action 'api-night' of ECS service 'api' sets minCapacity 0 and maxCapacity 0 on "
                         "cron(0 22 * * ? *), below the service's base of 2")


@pytest.mark.parametrize("preview", [True, False])
def test_scheduled_action_below_the_declared_base_is_violation(preview: bool) -> None:
    """The target's minCapacity is the client-agreed base: a schedule may not lower it, even above the rule's floor."""
    found = findings(evaluate(_scheduled(night_min=2, night_max=6, target_min=3), preview=preview,
                              pack_config=PRODUCTION), POLICY)
    assert_one_mandatory(found, "ScheduledAction::api-night",
                         "sets minCapacity 2 on cron(0 22 * * ? *), below the service's base of 3 (the base its "
                         "scalable target declares)")
