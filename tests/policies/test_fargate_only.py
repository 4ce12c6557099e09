"""fargate-only: no virtual machines, no EC2 capacity for ECS; services and task definitions run on Fargate.

Each violating program holds several independent cases, so the pack runs once per mode.
"""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws
import pytest

from tests.policies.ecs_programs import cluster, container, program_of, scaling, service, task_definition
from tests.policies.harness import TAGS, assert_one_mandatory, case_tests, evaluate, findings, notes, pinned

POLICY = "fargate-only"
AMI = "ami-0123456789abcdef0"


def _fargate(p: aws.Provider) -> None:
    """The platform's shape: Fargate capacity providers, a FARGATE service, one on the cluster's default strategy."""
    apps = cluster(p)
    aws.ecs.ClusterCapacityProviders("apps-providers", cluster_name=apps.name, capacity_providers=["FARGATE",
                                     "FARGATE_SPOT"], default_capacity_provider_strategies=[
                                         {"capacity_provider": "FARGATE", "weight": 1, "base": 0}], opts=pinned(p))
    task = task_definition(p, container())
    svc = service(p, apps, task)
    scaling(p, apps, svc)
    service(p, apps, task, name="worker", launch_type=None)  # the cluster's default strategy: Fargate
    service(p, apps, task, name="spot", launch_type=None,
            capacity_provider_strategies=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}])


@pytest.mark.parametrize("preview", [True, False])
def test_fargate_platform_passes(preview: bool) -> None:
    found = evaluate(program_of(_fargate), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


def _machines(p: aws.Provider) -> None:
    aws.ec2.Instance("debug-box", ami=AMI, instance_type="t3.micro", tags=TAGS, opts=pinned(p))
    template = aws.ec2.LaunchTemplate("workers", image_id=AMI, instance_type="t3.micro", tags=TAGS, opts=pinned(p))
    group = aws.autoscaling.Group("workers-asg", min_size=1, max_size=2, availability_zones=["us-east-1a"],
                                  launch_template={"id": template.id, "version": "$Latest"}, opts=pinned(p))
    aws.ec2.SpotInstanceRequest("spot-box", ami=AMI, instance_type="t3.micro", tags=TAGS, opts=pinned(p))
    provider = aws.ecs.CapacityProvider("ec2-capacity", auto_scaling_group_provider={
        "auto_scaling_group_arn": group.arn}, tags=TAGS, opts=pinned(p))
    apps = cluster(p)
    aws.ecs.ClusterCapacityProviders("apps-providers", cluster_name=apps.name,
                                     capacity_providers=["FARGATE", provider.name], opts=pinned(p))
    task = task_definition(p, container())
    service(p, apps, task, name="on-ec2", launch_type="EC2")
    service(p, apps, task, name="on-default", launch_type=None)  # no default strategy for the cluster: EC2
    task_definition(p, container(), name="ec2-task", requires_compatibilities=["EC2"], network_mode="bridge")
    task_definition(p, container(), name="any-task", requires_compatibilities=None)


CASES: dict[str, tuple[str, str]] = {
    "instance": ("aws:ec2/instance:Instance::debug-box", "EC2 instance 'debug-box': a virtual machine"),
    "launch-template": ("aws:ec2/launchTemplate:LaunchTemplate::workers", "EC2 launch template 'workers'"),
    "asg": ("aws:autoscaling/group:Group::workers-asg", "Auto Scaling group 'workers-asg'"),
    "spot": ("aws:ec2/spotInstanceRequest:SpotInstanceRequest::spot-box", "EC2 spot instance request 'spot-box'"),
    "capacity-provider": ("aws:ecs/capacityProvider:CapacityProvider::ec2-capacity",
                          "ECS capacity provider 'ec2-capacity': EC2 capacity for ECS"),
    "cluster-providers": ("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders::apps-providers",
                          "not FARGATE/FARGATE_SPOT"),
    "ec2-launch-type": ("aws:ecs/service:Service::on-ec2", "ECS service 'on-ec2': runs on the EC2 launch type"),
    "default-launch-type": ("aws:ecs/service:Service::on-default", "its cluster has no default strategy of Fargate"),
    "ec2-task": ("aws:ecs/taskDefinition:TaskDefinition::ec2-task", "it requires EC2 compatibility"),
    "task-without-compatibility": ("aws:ecs/taskDefinition:TaskDefinition::any-task",
                                   "it requires no compatibility (requiresCompatibilities unset)"),
}


test_compute_outside_fargate_is_violation, test_one_finding_per_case = case_tests(program_of(_machines), POLICY, CASES)


@pytest.mark.parametrize("preview", [True, False])
def test_strategy_naming_a_declared_capacity_provider_is_violation(preview: bool) -> None:
    """A service's strategy entry fed by a declared capacity provider is EC2, even where its name is unknown."""
    def build(p: aws.Provider) -> Any:
        group = aws.autoscaling.Group("asg", min_size=0, max_size=1, availability_zones=["us-east-1a"],
                                      opts=pinned(p))
        ec2 = aws.ecs.CapacityProvider("ec2", auto_scaling_group_provider={"auto_scaling_group_arn": group.arn},
                                       tags=TAGS, opts=pinned(p))
        apps = cluster(p)
        return service(p, apps, task_definition(p, container()), launch_type=None,
                       capacity_provider_strategies=[{"capacity_provider": ec2.name, "weight": 1}])

    found = findings(evaluate(program_of(build), preview=preview), POLICY)
    assert_one_mandatory([v for v in found if v.urn.endswith("Service::api")], "Service::api",
                         "its capacity provider strategy uses 'ec2'")


def _event_tasks(launch_type: str | None) -> Any:
    def build(p: aws.Provider) -> None:
        apps = cluster(p)
        aws.ecs.ClusterCapacityProviders("apps-providers", cluster_name=apps.name, capacity_providers=["FARGATE"],
                                         default_capacity_provider_strategies=[{"capacity_provider": "FARGATE",
                                                                                "weight": 1}], opts=pinned(p))
        task = task_definition(p, container())
        rule = aws.cloudwatch.EventRule("nightly", schedule_expression="cron(0 2 * * ? *)", tags=TAGS, opts=pinned(p))
        ecs_target: Any = {"task_definition_arn": task.arn, "task_count": 1,
                           "network_configuration": {"subnets": ["subnet-0a1b2c3d4e5f60718"]}}
        if launch_type is not None:
            ecs_target["launch_type"] = launch_type
        aws.cloudwatch.EventTarget("nightly-export", rule=rule.name, arn=apps.arn,
                                   role_arn="arn:aws:iam::111111111111:role/events", ecs_target=ecs_target,
                                   opts=pinned(p))
    return program_of(build)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("launch_type", ["FARGATE", None], ids=["fargate", "cluster-default"])
def test_scheduled_fargate_task_passes(preview: bool, launch_type: str | None) -> None:
    found = evaluate(_event_tasks(launch_type), preview=preview)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


@pytest.mark.parametrize("preview", [True, False])
def test_scheduled_task_on_ec2_is_violation(preview: bool) -> None:
    """An EventBridge target runs ECS tasks too: on the EC2 launch type, it is compute outside Fargate."""
    found = findings(evaluate(_event_tasks("EC2"), preview=preview), POLICY)
    assert_one_mandatory(found, "aws:cloudwatch/eventTarget:EventTarget::nightly-export",
                         "EventBridge target 'nightly-export': it runs ECS tasks on the EC2 launch type")
