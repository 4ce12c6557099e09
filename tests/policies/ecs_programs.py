"""Small ECS building blocks for the container rules' tests: compliant by default, one knob per violation.

Shaped like the program the platform builds: a Fargate task definition in awsvpc mode whose
containers log through awslogs and take secrets from Secrets Manager, a cluster with Container
Insights, a private service with a circuit breaker that ignores `desiredCount`, a scalable target and
a target-tracking policy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from connectctl.engine.analyzer import Violation
from tests.policies.harness import ACCOUNT, REGION, TAGS, pinned, provider

SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:connect/api/db-AbCdEf"
DIMENSION = "ecs:service:DesiredCount"
_DROP = object()


def container(**changes: Any) -> dict[str, Any]:
    """A compliant container definition; `key=DROP` removes a key, any other value replaces it."""
    base: dict[str, Any] = {
        "name": "app",
        "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/api:1.4.2",
        "essential": True,
        "privileged": False,
        "readonlyRootFilesystem": True,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "environment": [{"name": "LOG_LEVEL", "value": "info"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": SECRET_ARN}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": "/connect/api", "awslogs-region": REGION, "awslogs-stream-prefix": "api"}},
    }
    for key, value in changes.items():
        if value is _DROP:
            base.pop(key, None)
        else:
            base[key] = value
    return base


DROP: Any = _DROP


def task_definition(p: aws.Provider, *containers: dict[str, Any], name: str = "api", **kwargs: Any
                    ) -> aws.ecs.TaskDefinition:
    """A Fargate task definition (awsvpc) with literal container definitions (known in preview too)."""
    args: dict[str, Any] = {"family": name, "network_mode": "awsvpc", "requires_compatibilities": ["FARGATE"],
                            "cpu": "256", "memory": "512", "tags": TAGS}
    args.update(kwargs)
    return aws.ecs.TaskDefinition(name, container_definitions=json.dumps(list(containers or [container()])),
                                  opts=pinned(p), **args)


def cluster(p: aws.Provider, name: str | None = "apps", insights: str | None = "enabled") -> aws.ecs.Cluster:
    """An ECS cluster; `name=None` leaves it to auto-naming (unknown in preview)."""
    settings: list[Any] | None = [{"name": "containerInsights", "value": insights}] if insights else None
    return aws.ecs.Cluster("apps", name=name, settings=settings, tags=TAGS, opts=pinned(p))


def service(p: aws.Provider, on: aws.ecs.Cluster, task: aws.ecs.TaskDefinition, *, name: str | None = "api",
            public_ip: bool = False, breaker: dict[str, bool] | None = None,
            ignore_changes: list[str] | None = None, **kwargs: Any) -> aws.ecs.Service:
    """A private Fargate service with circuit breaker and rollback, `desiredCount` ignored."""
    kwargs.setdefault("launch_type", "FARGATE")
    network: Any = {"subnets": ["subnet-0a1b2c3d4e5f60718"], "assign_public_ip": public_ip}
    circuit_breaker: Any = breaker if breaker is not None else {"enable": True, "rollback": True}
    return aws.ecs.Service(
        name or "api", name=name, cluster=on.arn, task_definition=task.arn, desired_count=2,
        network_configuration=network,
        deployment_circuit_breaker=circuit_breaker,
        tags=TAGS, opts=pinned(p, ignore_changes=["desiredCount"] if ignore_changes is None else ignore_changes),
        **kwargs,
    )


def scaling(p: aws.Provider, on: aws.ecs.Cluster, svc: aws.ecs.Service, *, name: str = "api",
            min_capacity: int = 2, max_capacity: int = 6, policy: bool = True,
            resource_id: pulumi.Input[str] | None = None) -> aws.appautoscaling.Target:
    """A DesiredCount target whose resourceId is built from the cluster's and service's names, and a policy."""
    target = aws.appautoscaling.Target(
        f"{name}-scaling", service_namespace="ecs", scalable_dimension=DIMENSION,
        resource_id=pulumi.Output.concat("service/", on.name, "/", svc.name) if resource_id is None else resource_id,
        min_capacity=min_capacity, max_capacity=max_capacity, opts=pinned(p),
    )
    if policy:
        aws.appautoscaling.Policy(
            f"{name}-cpu", policy_type="TargetTrackingScaling", resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension, service_namespace=target.service_namespace,
            target_tracking_scaling_policy_configuration={
                "target_value": 60,
                "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
            },
            opts=pinned(p),
        )
    return target


def program_of(build: Callable[[aws.Provider], object]) -> Callable[[], None]:
    """A program that declares the tenant provider and hands it to `build`."""

    def program() -> None:
        build(provider())

    return program


def assert_one_advisory(found: list[Violation], urn_suffix: str, phrase: str) -> None:
    """Exactly one advisory finding, on the resource named by `urn_suffix`, saying `phrase`."""
    assert len(found) == 1, found
    assert found[0].level == "advisory"
    assert found[0].urn.endswith(urn_suffix), found[0].urn
    assert phrase in found[0].message, found[0].message
