"""backup-plan-baseline: backup plans run at least daily, keep recovery points long enough and select something.

Per `aws:backup/plan:Plan`:
- some rule runs at least daily: `enableContinuousBackup` true, a `cron(...)` schedule whose day-of-month
  and day-of-week are `*` or `?` (month `*`, year `*` or `?`), or `rate(N minutes|hours)` / `rate(1 day)`;
- every rule keeps its recovery points (`lifecycle.deleteAfter`; no lifecycle keeps them forever) at
  least `minRetentionDays` days (policy config, default 35). AWS caps continuous backups at 35 days, so a
  continuous rule needs min(35, floor);
- an `aws:backup/selection:Selection` assigns resources to it: the plan fed its `planId` (property
  dependency, known in preview) or its known `planId` is the plan's id. Without one the plan backs up
  nothing.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from connect_guardrails.rule import Rule
from connect_guardrails.unknowns import Pending, get_raw, is_unknown, known_str
from connect_guardrails.util import attached_to, backup_plan_rules, backup_rule_label, config_of, of_type

PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
CONTINUOUS_MAX_DAYS = 35
DEFAULT_FLOOR = 35
CRON = re.compile(r"^cron\((.*)\)$")
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")


def at_least_daily(schedule: str) -> bool:
    """The schedule expression starts a backup every day (or more often)."""
    schedule = schedule.strip()
    cron = CRON.match(schedule)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            return False
        _, _, day_of_month, month, day_of_week, year = fields
        return day_of_month in ("*", "?") and day_of_week in ("*", "?") and month == "*" and year in ("*", "?")
    rate = RATE.match(schedule)
    if rate:
        return not rate.group(2).startswith("day") or int(rate.group(1)) == 1
    return False


def _daily(rule: dict[str, Any]) -> bool | None:
    """The rule backs up at least daily (None: it depends on an unknown value)."""
    continuous = rule.get("enableContinuousBackup")
    schedule = rule.get("schedule")
    if continuous is True or (isinstance(schedule, str) and not is_unknown(schedule) and at_least_daily(schedule)):
        return True
    if is_unknown(continuous) or is_unknown(schedule):
        return None
    return False


def _retention(rule: dict[str, Any], floor: int, label: str, path: tuple[Any, ...], pending: Pending,
               plan: PolicyResource) -> str | None:
    """Why the rule keeps its recovery points too briefly (None: it does not, or it is not known yet)."""
    continuous = rule.get("enableContinuousBackup")
    if is_unknown(pending.read(plan.props, *path, "lifecycle")):
        return None
    days = pending.read(plan.props, *path, "lifecycle", "deleteAfter")
    if is_unknown(days):
        return None
    if not isinstance(days, int | float) or isinstance(days, bool):
        return None  # no deleteAfter: kept until deleted by hand
    if is_unknown(continuous) and days < floor:
        pending.add(plan.props, *path, "enableContinuousBackup")
        return None
    needed = min(CONTINUOUS_MAX_DAYS, floor) if continuous is True else floor
    if days >= needed:
        return None
    why = " (continuous backups: AWS keeps at most 35 days)" if continuous is True and floor > needed else ""
    return f"{label} keeps recovery points {days:g} days (lifecycle.deleteAfter), below {needed}{why}"


def check(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Per plan: a daily (or continuous) rule, retention >= minRetentionDays on every rule, a selection."""
    floor = int(config_of(args).get("minRetentionDays", DEFAULT_FLOOR))
    pending = Pending()
    resources = list(args.resources)
    for plan in of_type(resources, PLAN):
        problems: list[str] = []
        rules_known = not is_unknown(get_raw(plan.props, "rules"))
        rules = backup_plan_rules(plan, pending)
        undecided: list[int] = []
        daily = False
        for index, rule in rules:
            label = backup_rule_label(rule, index)
            found = _daily(rule)
            daily = daily or found is True
            if found is None:
                undecided.append(index)
            retention = _retention(rule, floor, label, ("rules", index), pending, plan)
            if retention:
                problems.append(retention)
        if not daily and undecided:
            for index in undecided:
                pending.add(plan.props, "rules", index, "schedule")
                pending.add(plan.props, "rules", index, "enableContinuousBackup")
        elif not daily and rules_known:
            problems.insert(0, "no rule runs at least daily (a cron schedule every day, rate(N hours), or "
                               "enable_continuous_backup)")
        names = {n for n in (known_str(plan.props, "id"),) if n}
        if not attached_to(resources, (SELECTION,), "planId", plan, names):
            problems.append("no aws.backup.Selection assigns resources to it (selection plan_id=plan.id)")
        if problems:
            report_violation(
                f"backup plan '{plan.name}': {'; '.join(problems)}; a plan backs up at least daily, keeps recovery "
                f"points at least {floor} days (policy config minRetentionDays) and has a selection",
                plan.urn,
            )
    pending.settle()


RULE = Rule(
    id="backup-plan-baseline", severity="medium", check=check,
    description="Backup plans run at least daily, keep recovery points at least the configured days and select "
                "resources.",
    anchors=("NAG *InBackupPlan", "CKV2_AWS_8", "CKV2_AWS_9"), iso27001=("A.8.13",), ccm=("BCR-08",),
    remediation=(
        "Give the aws.backup.Plan a rule with schedule='cron(0 5 * * ? *)' (or enable_continuous_backup=True), "
        "lifecycle={'delete_after': >= minRetentionDays} on every rule (continuous rules: up to 35), and add "
        "aws.backup.Selection(plan_id=plan.id, selection_tags=[{'type': 'STRINGEQUALS', 'key': 'connect:backup', "
        "'value': 'true'}])."
    ),
    config={
        "minRetentionDays": {
            "type": "integer",
            "default": DEFAULT_FLOOR,
            "minimum": 1,
            "description": "Days every backup rule keeps its recovery points at least (continuous rules: "
                           "min(35, this)).",
        },
    },
)
