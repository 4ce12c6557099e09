"""One catalogue: the policy pack's rules judged on the live account, beside the audit's own run-time checks.

`pulumi preview` judges what the program declares; `connectctl audit` reads the deployed account into the same
view (connectctl/audit/readers, connectctl/audit/view.py) and runs the same rules on it, the way `connectctl plan`
and `connectctl check` run them (`connectctl.engine.analyzer.analyze`, with the stack's pack config). Whatever the
pack refuses at plan time it refuses in the live account, and a console edit that undoes a guardrail is a finding
of the rule it breaks, with its id and its level: mandatory findings fail the audit (exit 1), advisory ones are
reported.

Each rule is judged live unless its input cannot be read from AWS (`NOT_LIVE`, with the reason); a few are judged
live in part (`PARTLY`): their other half is a Pulumi resource option or input that no AWS API holds, and the live
view takes it as the program declares it. The audit's own checks stay for what no plan can see (tunnel state,
recovery-point age, scan findings, addresses outside the stack); where one has the id of a rule (`ecr-scan-on-push`,
`alb-internal-only`, `ecs-service-no-public-ip`, `vpc-flow-logs`) both run as one check, each finding marked with
the path that found it (`source`: `audit` or `pack`).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any, cast

from connectctl.audit.context import AuditContext
from connectctl.audit.model import SEVERITY_ORDER, AuditError, Check, Finding, Outcome, Severity

# Rules whose input no AWS API holds, and why they are not judged live.
NOT_LIVE: dict[str, str] = {
    "tenant-single-account": "judges the program's AWS providers (every resource through one pinned to the tenant "
                             "account): a deployed resource has no provider; the audit itself refuses credentials "
                             "of any other account",
    "allowed-resource-types": "the readers read the types of the design only; resources of other types in the "
                              "account are the unmanaged-resource scan's (issue #21, part 2)",
    "no-public-compute": "judges EC2 instances, launch templates and launch configurations, types outside the "
                         "design: the unmanaged-resource scan reports them (issue #21, part 2)",
}
# Rules judged live in part: what the live view cannot read, and takes as the program declares it.
PARTLY: dict[str, str] = {
    "ecs-deployment-safety": "the circuit breaker is read live; `ignoreChanges` of desiredCount is a Pulumi "
                             "resource option no AWS API holds, taken as declared",
    "stateful-resources-protected": "databases' deletionProtection is read live; `protect` (a Pulumi resource option) "
                                    "and skipFinalSnapshot (a Pulumi input) are not in AWS, taken as declared",
    "fargate-only": "the design's ECS services, task definitions, capacity providers and event targets are read live; "
                    "instances and Auto Scaling groups are the unmanaged-resource scan's (issue #21, part 2)",
}
# What `connectctl dr verify` judges besides its own checks: the rules of the DR region's copies and standby.
DR_RULES = ("backup-vault-encrypted-locked", "backup-cross-region-copy", "backup-plan-baseline",
            "data-store-dr-replication", "dr-region-self-contained", "ecr-dr-replication")
# Rules that read their types through shared helpers rather than naming them in their own module.
READS: dict[str, tuple[str, ...]] = {
    "ecs-container-insights": ("aws:ecs/cluster:Cluster",),
    "ecs-container-logging": ("aws:ecs/taskDefinition:TaskDefinition",),
    "ecs-images-from-tenant-registry": ("aws:ecs/taskDefinition:TaskDefinition",),
    "ecs-no-plaintext-secrets": ("aws:ecs/taskDefinition:TaskDefinition",),
    "ecs-task-no-privileged": ("aws:ecs/taskDefinition:TaskDefinition",),
    "ecs-task-readonly-rootfs": ("aws:ecs/taskDefinition:TaskDefinition",),
    "ecs-deployment-safety": ("aws:ecs/service:Service",),
    "ecs-service-no-public-ip": ("aws:ecs/service:Service",),
    "data-store-egress-contained": ("aws:ec2/securityGroup:SecurityGroup",
                                    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                                    "aws:rds/cluster:Cluster", "aws:efs/mountTarget:MountTarget"),
    "data-store-encrypted": ("aws:s3/bucket:Bucket", "aws:rds/cluster:Cluster", "aws:sns/topic:Topic",
                             "aws:efs/fileSystem:FileSystem"),
    "iam-no-wildcard-admin": ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/role:Role"),
    "iam-no-privilege-escalation": ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/role:Role"),
}
TYPE_TOKEN = re.compile(r'"(aws:[a-zA-Z0-9]+/[a-zA-Z0-9]+:[A-Za-z0-9]+)"')


def _pack() -> ModuleType:
    from connectctl.engine.analyzer import load_pack  # here: the pack imports pulumi_policy (half a second)

    return load_pack()


@functools.cache
def rules() -> tuple[Any, ...]:
    """The pack's rules, in catalogue order."""
    return tuple(_pack().RULES)


@functools.cache
def reader_types() -> frozenset[str]:
    """Every type some reader yields."""
    from connectctl.audit.readers import readers

    return frozenset(t for reader in readers() for t in reader.types)


@functools.cache
def reads(rule_id: str) -> tuple[str, ...]:
    """The live types a rule judges: those its module names that a reader yields (and `READS`, for rules that name
    theirs through shared helpers), every taggable type read for `tenant-tags`, every type for
    `dr-region-self-contained`."""
    if rule_id == "tenant-tags":
        taggable = importlib.import_module("connect_guardrails.rules.tenant_tags").TAGGABLE
        return tuple(sorted(t for t in reader_types() if t in taggable))
    if rule_id == "dr-region-self-contained":  # every resource of the DR region, whatever its type
        return tuple(sorted(reader_types()))
    rule = next(r for r in rules() if r.id == rule_id)
    named = set(TYPE_TOKEN.findall(inspect.getsource(inspect.getmodule(rule.check) or rule.check)))
    return tuple(sorted((named | set(READS.get(rule_id, ()))) & reader_types()))


def live_status(rule_id: str) -> tuple[str, str]:
    """("yes" | "partly" | "no", what is read live or why not)."""
    if rule_id in NOT_LIVE:
        return "no", NOT_LIVE[rule_id]
    if rule_id in PARTLY:
        return "partly", PARTLY[rule_id]
    return "yes", ""


def _detail(message: str) -> str:
    """A pack diagnostic without its first line (the rule's description, which the check's title says)."""
    return message.split("\n", 1)[1] if "\n" in message else message


def judge(ctx: AuditContext) -> dict[str, Outcome]:
    """Read the stack's live resources, run the pack over them, and sort its findings by rule (once per audit)."""
    if "pack" in ctx._cache:
        return dict(ctx._cache["pack"])
    from connectctl.audit.context import aws_errors, explain
    from connectctl.audit.readers import read_account
    from connectctl.audit.view import build
    from connectctl.engine.analyzer import PackConfigError, analyze

    try:
        resources = read_account(ctx)
    except aws_errors() as exc:
        raise explain(exc, "reading the live account for the pack's rules") from None
    view = build(resources, stack=ctx.stack, project=ctx.project.name if ctx.project else "connect",
                 account_id=ctx.account_id, primary_region=ctx.region)
    try:
        violations = analyze(view.resources, ctx.pack_config)
    except PackConfigError as exc:
        raise AuditError(f"pack config of {ctx.stack}: {exc}") from None
    except Exception as exc:  # a rule tripping over a live value no program of ours would declare
        raise AuditError(f"the policy pack could not judge the live resources of {ctx.stack} "
                         f"({type(exc).__name__}: {exc})") from None
    counts: dict[str, int] = {}
    for resource in view.live.values():
        counts[resource.type] = counts.get(resource.type, 0) + 1
    outcomes: dict[str, Outcome] = {}
    for rule in rules():
        status, note = live_status(rule.id)
        if status == "no":
            outcomes[rule.id] = Outcome(not_applicable=f"not judged live: {note}")
            continue
        examined = sum(counts.get(t, 0) for t in reads(rule.id))
        outcomes[rule.id] = Outcome(examined=examined, note=f"judged live in part: {note}" if note else "")
    exempt: dict[str, int] = {}
    for violation in violations:
        outcome = outcomes.get(violation.policy)
        if outcome is None or outcome.not_applicable is not None:
            continue  # the pack's integrity policies judge the pack config, which `connectctl check` judges
        if violation.level == "exempt":
            exempt[violation.policy] = exempt.get(violation.policy, 0) + 1
            continue
        if violation.level not in ("mandatory", "advisory"):
            continue
        live = view.live.get(violation.urn)
        severity = cast(Severity, violation.severity if violation.severity in SEVERITY_ORDER else "medium")
        outcome.findings.append(Finding(
            violation.policy, severity,
            live.id or live.name if live else ctx.stack, live.type if live else "pulumi:pulumi:Stack",
            _detail(violation.message), live.region if live else ctx.region, live.arn if live else None,
            level="mandatory" if violation.level == "mandatory" else "advisory", source="pack"))
    for rule_id, count in exempt.items():
        outcomes[rule_id].note = "; ".join(filter(None, [outcomes[rule_id].note,
                                                         f"{count} finding(s) exempted by the pack config"]))
    ctx._cache["pack"] = outcomes
    return dict(outcomes)


def _run(rule_id: str) -> Callable[[AuditContext], Outcome]:
    def run(ctx: AuditContext) -> Outcome:
        return judge(ctx)[rule_id]

    run.__doc__ = f"The pack's rule {rule_id}, judged on the live account."
    return run


def _merged(check: Check) -> Check:
    """An audit check that has a rule's id: both run, one check; each finding says which path found it. The audit's
    part runs where it always did (environment stacks, say), the rule's on every stack."""
    audit_run = check.run

    def run(ctx: AuditContext) -> Outcome:
        pack = judge(ctx)[check.id]
        if (check.environment_only and ctx.cfg.is_account) or (check.account_only and not ctx.cfg.is_account):
            return pack
        outcome = audit_run(ctx)
        if outcome.not_applicable is not None and not pack.findings:
            return outcome
        notes = [n for n in (outcome.note, pack.note) if n]
        return Outcome(examined=max(outcome.examined, pack.examined), findings=[*outcome.findings, *pack.findings],
                       note="; ".join(notes))

    return replace(check, run=run, environment_only=False, account_only=False, source="audit+pack")


def pack_check(rule: Any) -> Check:
    """A rule of the pack as a check of the audit."""
    status, note = live_status(rule.id)
    return Check(rule.id, rule.description, rule.severity, rule.description, rule.remediation, _run(rule.id),
                 environment_only=False, level=rule.level, source="pack", live=status, live_note=note)


@functools.cache
def catalogue(pack: bool = True) -> tuple[Check, ...]:
    """Every check of `connectctl audit`: the audit's own (those with a rule's id merged with it), then the pack's
    other rules in catalogue order; without the pack (`--no-pack`), the audit's own checks alone."""
    from connectctl.audit.checks import CHECKS

    if not pack:
        return tuple(CHECKS)
    by_rule = {rule.id: rule for rule in rules()}
    found = [_merged(replace(c, live=live_status(c.id)[0], live_note=live_status(c.id)[1])) if c.id in by_rule else c
             for c in CHECKS]
    ids = {c.id for c in CHECKS}
    return (*found, *(pack_check(rule) for rule in rules() if rule.id not in ids))


def dr_catalogue(pack: bool = True) -> tuple[Check, ...]:
    """What `connectctl dr verify` runs: the DR checks, then the DR rules of the pack (unless `--no-pack`)."""
    from connectctl.audit.checks import DR_CHECK_IDS

    return tuple(c for c in catalogue(pack) if c.id in DR_CHECK_IDS) + tuple(
        c for c in catalogue(pack) if c.id in DR_RULES)


def pack_config(stack_file: Any) -> dict[str, Any] | None:
    """The stack's pack config (`policy.<stack>.json`, found as `connectctl plan` finds it), checked as it checks it."""
    from connectctl.engine.analyzer import PackConfigError, load_pack_config
    from connectctl.plan import pack_config_file

    try:
        return load_pack_config(pack_config_file(stack_file.project, stack_file))
    except PackConfigError as exc:
        raise AuditError(str(exc)) from None


def needs_pack(checks: list[Check], skip: list[str]) -> bool:
    """Some check to run judges the live account with the pack."""
    return any(c.source != "audit" and c.id not in skip for c in checks)


# Where the account stack's break-glass forwarders run besides its own region: components/access.py
# `GLOBAL_EVENTS_REGION` (CloudTrail delivers IAM and global STS events to EventBridge there).
GLOBAL_EVENTS_REGION = "us-east-1"


def extra_regions(cfg: Any) -> tuple[str, ...]:
    """Regions the live pack reads besides the stack's own and its DR region."""
    return (GLOBAL_EVENTS_REGION,) if cfg.is_account else ()
