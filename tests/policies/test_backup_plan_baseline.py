"""backup-plan-baseline: a daily (or continuous) rule, retention >= minRetentionDays, a selection per plan.

Each program holds several independent plans, one case each, so the pack runs once per mode and config.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from connect_guardrails.rules.backup_plan_baseline import at_least_daily
from connectctl.engine.analyzer import Violation
from tests.policies.data_programs import backup_rule, plan, providers, vaults
from tests.policies.harness import assert_one_mandatory, evaluate, findings, notes, with_urn

POLICY = "backup-plan-baseline"
FLOOR_90 = {POLICY: {"minRetentionDays": 90}}
WEEKLY = "cron(0 5 ? * SUN *)"
Plans = dict[str, list[dict[str, Any]]]  # plan name -> backup_rule keywords of its rules


def _plans(plans: Plans, unselected: tuple[str, ...] = ()) -> Callable[[], None]:
    """One plan per entry, its rules into the primary vault and copied to the DR vault."""
    def program() -> None:
        p, dr = providers()
        primary, dr_vault = vaults(p, dr, lock=False)
        for name, specs in plans.items():
            rules = [backup_rule(primary, dr_vault.arn, **{"name": f"rule{i}", **spec}) for i, spec in enumerate(specs)]
            plan(p, name, rules, selection=name not in unselected)

    return program


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("plans", "config"), [
    ({"daily-35-days": [{}],
      "hourly": [{"schedule": "rate(12 hours)"}],
      "daily-and-weekly": [{"schedule": WEEKLY, "delete_after": 365}, {}],
      "kept-forever": [{"delete_after": None}]}, None),
    ({"continuous-capped-at-35": [{"schedule": None, "continuous": True, "delete_after": 35},
                                  {"schedule": WEEKLY, "delete_after": 90}]}, FLOOR_90),
], ids=["default-floor", "floor-90"])
def test_baseline_plans_pass(preview: bool, plans: Plans, config: dict[str, Any] | None) -> None:
    found = evaluate(_plans(plans), preview=preview, pack_config=config)
    assert findings(found, POLICY) == []
    assert notes(found, POLICY) == []


CASES: dict[str, tuple[list[dict[str, Any]], bool, str]] = {  # rules, floor 90, phrase
    "weekly-only": ([{"schedule": WEEKLY}], False, "no rule runs at least daily"),
    "every-two-days": ([{"schedule": "rate(2 days)"}], False, "no rule runs at least daily"),
    "short-retention": ([{"delete_after": 7}], False,
                        "rule 'rule0' keeps recovery points 7 days (lifecycle.deleteAfter), below 35; a plan backs "
                        "up at least daily, keeps recovery points at least 35 days"),
    "unselected": ([{}], False, "no aws.backup.Selection assigns resources to it"),
    "below-floor": ([{}], True, "rule 'rule0' keeps recovery points 35 days (lifecycle.deleteAfter), below 90; a "
                                "plan backs up at least daily, keeps recovery points at least 90 days"),
    "short-continuous": ([{"schedule": None, "continuous": True, "delete_after": 14}], True,
                         "below 35 (continuous backups: AWS keeps at most 35 days)"),
}


@functools.cache
def _violations(preview: bool, floor_90: bool) -> list[Violation]:
    plans = {name: rules for name, (rules, floor, _) in CASES.items() if floor is floor_90}
    program = _plans(plans, unselected=("unselected",))
    return findings(evaluate(program, preview=preview, pack_config=FLOOR_90 if floor_90 else None), POLICY)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("case", sorted(CASES))
def test_weak_plan_is_violation(preview: bool, case: str) -> None:
    _, floor_90, phrase = CASES[case]
    urn = f"aws:backup/plan:Plan::{case}"
    assert_one_mandatory(with_urn(_violations(preview, floor_90), urn), urn, phrase)


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("floor_90", [False, True], ids=["default-floor", "floor-90"])
def test_one_finding_per_weak_plan(preview: bool, floor_90: bool) -> None:
    assert len(_violations(preview, floor_90)) == sum(1 for _, floor, _ in CASES.values() if floor is floor_90)


@pytest.mark.parametrize(("schedule", "daily"), [
    ("cron(0 5 * * ? *)", True),
    ("cron(0 5 ? * * *)", True),
    ("cron(0 0/4 * * ? *)", True),
    ("rate(1 day)", True),
    ("rate(30 minutes)", True),
    ("rate(1 hour)", True),
    ("cron(0 5 ? * MON-FRI *)", False),
    ("cron(0 5 1 * ? *)", False),
    ("cron(0 5 * 1 ? *)", False),
    ("cron(0 5 * * ?)", False),
    ("rate(7 days)", False),
    ("at(2030-01-01T00:00:00)", False),
])
def test_schedule_expressions(schedule: str, daily: bool) -> None:
    assert at_least_daily(schedule) is daily
