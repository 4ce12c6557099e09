"""The critical path tells apart components that share a name (issue #16): `Observability` and `AlertsTopic` are
both registered as "alerts", and renaming either would change its URN and replace its resources, so the report
labels every component with its type instead: `alerts [Observability]`, `alerts [AlertsTopic]`."""

from __future__ import annotations

from connectctl.critical_path import ECS_SERVICE, critical_path
from connectctl.engine.capture import STACK_TYPE, CapturedResource
from connectctl.plan import plan_stack


def resource(type_: str, name: str, parent: str, *, custom: bool = True,
             deps: tuple[str, ...] = ()) -> CapturedResource:
    return CapturedResource(urn=f"urn:pulumi:s::connect::{type_}::{name}", type=type_, name=name, custom=custom,
                            parent=parent, provider="", protect=False, retain_on_delete=False,
                            dependencies=list(deps), property_dependencies={}, inputs={})


def test_two_components_of_one_name_have_two_labels() -> None:
    stack = resource(STACK_TYPE, "s", "", custom=False)
    observability = resource("connect:observability:Observability", "alerts", stack.urn, custom=False)
    topic = resource("connect:observability:AlertsTopic", "alerts", stack.urn, custom=False)
    dashboard = resource("aws:cloudwatch/dashboard:Dashboard", "alerts-dashboard", observability.urn)
    sns = resource("aws:sns/topic:Topic", "alerts-topic", topic.urn)
    service = resource(ECS_SERVICE, "service", stack.urn)
    path = critical_path([stack, observability, topic, dashboard, sns, service])
    assert set(path.components) == {"alerts [Observability]", "alerts [AlertsTopic]"}
    assert path.services_never_wait_on == ["alerts [AlertsTopic]", "alerts [Observability]"]
    assert [s.component for s in path.components["alerts [AlertsTopic]"]] == ["alerts [AlertsTopic]"]


def test_acme_prod_lists_each_component_once_under_its_unchanged_name() -> None:
    plan = plan_stack("acme-prod")
    top = [r for r in plan.capture.resources if not r.custom and r.type != STACK_TYPE
           and r.parent.endswith("::connect-acme-prod")]
    path = critical_path(plan.capture.resources)
    assert len(path.components) == len(top)  # one label per top-level component: none collapsed
    assert {"alerts [Observability]", "alerts [AlertsTopic]"} <= set(path.components)
    alerts = sorted(r.urn for r in top if r.name == "alerts")
    assert alerts == ["urn:pulumi:acme-prod::connect::connect:observability:AlertsTopic::alerts",
                      "urn:pulumi:acme-prod::connect::connect:observability:Observability::alerts"]
