"""ecs-deployment-safety: ECS deployments roll back on failure, and scaling owns the task count.

On an `aws:ecs/service:Service`:
- `deploymentCircuitBreaker` has `enable` and `rollback` true (services with a CODE_DEPLOY or
  EXTERNAL deployment controller are exempt: the circuit breaker applies to the ECS controller only);
- the resource option `ignoreChanges` lists `desiredCount` (or `*`): after creation Application Auto
  Scaling owns the count, and an update must not reset it (pulumi-aws #6264). The analyzer protocol
  carries `ignoreChanges` to resource policies as `PolicyResourceOptions.ignore_changes`, with the
  Pulumi property name (the SDK maps `desired_count` to `desiredCount`).

Unknown circuit-breaker or controller values decide the outcome and are left to the engine's note.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ReportViolation, ResourceValidationArgs

from connect_guardrails.ecs_util import SERVICE
from connect_guardrails.rule import Rule, applies_to
from connect_guardrails.unknowns import Pending, is_known, is_unknown, plain

OTHER_CONTROLLERS = frozenset({"CODE_DEPLOY", "EXTERNAL"})
IGNORED = frozenset({"desiredCount", "*"})


def _controller(args: ResourceValidationArgs, pending: Pending) -> str | None:
    if is_unknown(pending.read(args.props, "deploymentController")):
        return None
    kind = pending.read(args.props, "deploymentController", "type")
    if is_unknown(kind):
        return None
    return str(kind) if kind else "ECS"


def _breaker_problems(args: ResourceValidationArgs, pending: Pending) -> list[str]:
    if _controller(args, pending) in OTHER_CONTROLLERS:
        return []
    breaker = plain(pending.read(args.props, "deploymentCircuitBreaker"))
    if is_unknown(breaker):
        return []
    if not isinstance(breaker, Mapping):
        return ["it has no deploymentCircuitBreaker"]
    problems = []
    for key in ("enable", "rollback"):
        value = pending.read(args.props, "deploymentCircuitBreaker", key)
        if is_known(value) and value is not True:
            problems.append(f"deploymentCircuitBreaker.{key} is not true")
    return problems


@applies_to(SERVICE)
def check(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Circuit breaker with rollback; desiredCount in ignoreChanges."""
    pending = Pending()
    problems = _breaker_problems(args, pending)
    ignored = set(args.opts.ignore_changes or []) if args.opts is not None else set()
    if not ignored & IGNORED:
        problems.append("desiredCount is not in ignoreChanges, so an update resets the scaled task count")
    if problems:
        report_violation(
            f"ECS service '{args.name}': {'; '.join(problems)}; declare deployment_circuit_breaker "
            f"{{enable: true, rollback: true}} and ResourceOptions(ignore_changes=['desiredCount'])",
            None,
        )
    pending.settle()


RULE = Rule(
    id="ecs-deployment-safety", kind="resource", level="advisory", severity="medium", check=check,
    description="ECS services roll back failed deployments and leave the task count to auto scaling.",
    iso27001=("A.8.32",), ccm=("CCC-09",),
    remediation=(
        "Declare the aws.ecs.Service with deployment_circuit_breaker={'enable': True, 'rollback': True} and "
        "opts=pulumi.ResourceOptions(ignore_changes=['desiredCount'])."
    ),
)
