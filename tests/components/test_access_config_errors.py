"""Bad `connect:access` in, precise issues out: the field path as written and what is allowed instead.

Every case starts from a valid stack file (acme-account, or acme-prod for the scope check), changes one
thing and checks the exact path(s) of the issues reported and the key phrases of the first message.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.config import CONNECT_KEYS, AccessConfig, parse_stack_config, stack_config_schema
from connectctl.engine.project import load_project, load_stack
from tests.components.config_cases import DELETE, SOURCE, Case, assert_issues, changer, each_case, issues_of, parse_odd

PROJECT = load_project()
FILES = {name: load_stack(PROJECT, name) for name in ("acme-account", "globex-account", "acme-prod")}
STACKS = {name: stack.config for name, stack in FILES.items()}
A = "connect:access"
HOURS = "allowed: whole hours from 1 to 12"
KEYS = "operatorAccountId, ciRoleArn, maxSessionHours, cloudTrail, logRetentionDays, alerts"
ACCESS = {"operatorAccountId": "999999999999", "ciRoleArn": "arn:aws:iam::999999999999:role/connect-ci"}

config_of = changer(STACKS)

CASES: dict[str, Case] = {
    # --- scope ----------------------------------------------------------------------------------------------
    "in-an-environment-stack": ("acme-prod", [(A, ACCESS)], [A],
                                ["set in an environment stack", "only in the account stack "
                                 "(stacks/Pulumi.acme-account.yaml)"]),
    "missing-in-an-account-stack": ("acme-account", [(A, DELETE)], [A],
                                    ["required key is missing", "operatorAccountId and ciRoleArn"]),
    "empty-in-an-account-stack": ("acme-account", [(A, {})], [A], ["required key is missing"]),
    # --- operator account -----------------------------------------------------------------------------------
    "operator-missing": ("acme-account", [(f"{A}.operatorAccountId", DELETE)], [f"{A}.operatorAccountId"],
                         ["required key is missing"]),
    "operator-eleven-digits": ("acme-account", [(f"{A}.operatorAccountId", "99999999999")],
                               [f"{A}.operatorAccountId"], ["'99999999999' is not an AWS account id",
                                                            "allowed: exactly 12 digits, quoted"]),
    "operator-as-number": ("acme-account", [(f"{A}.operatorAccountId", 12345678901)], [f"{A}.operatorAccountId"],
                           ["is a number", '"012345678901"']),
    "operator-with-newline": ("acme-account", [(f"{A}.operatorAccountId", "999999999999\n")],
                              [f"{A}.operatorAccountId"], ["is not an AWS account id"]),
    "operator-is-the-tenant": ("acme-account", [(f"{A}.operatorAccountId", "111111111111"),
                                                (f"{A}.ciRoleArn", "arn:aws:iam::111111111111:role/connect-ci")],
                               [f"{A}.operatorAccountId"], ["111111111111 is the tenant account",
                                                            "the operator's own identity account"]),
    # --- CI role --------------------------------------------------------------------------------------------
    "ci-role-outside-the-operator-account": ("acme-account", [(f"{A}.ciRoleArn",
                                                               "arn:aws:iam::222222222222:role/connect-ci")],
                                             [f"{A}.ciRoleArn"], ["role is in account 222222222222",
                                                                  "a role in the operator account 999999999999"]),
    "ci-role-in-the-tenant-account": ("acme-account", [(f"{A}.ciRoleArn", "arn:aws:iam::111111111111:role/ci")],
                                      [f"{A}.ciRoleArn"], ["role is in account 111111111111"]),
    "ci-role-not-an-arn": ("acme-account", [(f"{A}.ciRoleArn", "connect-ci")], [f"{A}.ciRoleArn"],
                           ["'connect-ci' is not an IAM role ARN",
                            "allowed: arn:aws:iam::<operatorAccountId>:role/<name>"]),
    "ci-user-not-role": ("acme-account", [(f"{A}.ciRoleArn", "arn:aws:iam::999999999999:user/ci")],
                         [f"{A}.ciRoleArn"], ["is not an IAM role ARN"]),
    "ci-role-missing": ("acme-account", [(f"{A}.ciRoleArn", DELETE)], [f"{A}.ciRoleArn"],
                        ["required key is missing"]),
    # --- session length -------------------------------------------------------------------------------------
    "session-zero": ("acme-account", [(f"{A}.maxSessionHours", 0)], [f"{A}.maxSessionHours"],
                     ["0 hours is out of range", HOURS]),
    "session-above-twelve": ("globex-account", [(f"{A}.maxSessionHours", 13)], [f"{A}.maxSessionHours"],
                             ["13 hours is out of range", HOURS, "IAM's maximum session duration"]),
    "session-fraction": ("acme-account", [(f"{A}.maxSessionHours", 1.5)], [f"{A}.maxSessionHours"],
                         ["1.5 is not a whole number of hours", HOURS]),
    "session-as-text": ("acme-account", [(f"{A}.maxSessionHours", "2")], [f"{A}.maxSessionHours"],
                        ["'2' is not a whole number of hours"]),
    "session-boolean": ("acme-account", [(f"{A}.maxSessionHours", True)], [f"{A}.maxSessionHours"],
                        ["True is not a whole number of hours"]),
    # --- trail ----------------------------------------------------------------------------------------------
    "trail-mode-unknown": ("acme-account", [(f"{A}.cloudTrail", "none")], [f"{A}.cloudTrail"],
                           ["'account' or 'organization'"]),
    "trail-logs-too-short": ("acme-account", [(f"{A}.logRetentionDays", 90)], [f"{A}.logRetentionDays"],
                             ["90 days is too short for audit logs", "allowed: 365, 400"]),
    "trail-logs-not-a-retention": ("acme-account", [(f"{A}.logRetentionDays", 500)], [f"{A}.logRetentionDays"],
                                   ["500 is not a CloudWatch Logs retention in days"]),
    "trail-logs-without-a-trail": ("acme-account", [(f"{A}.cloudTrail", "organization"),
                                                    (f"{A}.logRetentionDays", 731)], [f"{A}.logRetentionDays"],
                                   ["set with cloudTrail: organization", "omit it, or cloudTrail: account"]),
    # --- alerts and shape -----------------------------------------------------------------------------------
    "alerts-bad-email": ("acme-account", [(f"{A}.alerts.emails", ["sre-oncall"])], [f"{A}.alerts.emails"],
                         ["'sre-oncall' is not an email address", "allowed: name@domain.tld"]),
    "alerts-plain-http": ("acme-account", [(f"{A}.alerts.httpsEndpoints", ["http://pager.example/x"])],
                          [f"{A}.alerts.httpsEndpoints"], ["is not an HTTPS URL"]),
    "alerts-thresholds": ("acme-account", [(f"{A}.alerts.thresholds", {"cpuPercent": 90})],
                          [f"{A}.alerts.thresholds"], ["unknown key", "allowed keys: emails, httpsEndpoints"]),
    "unknown-key": ("acme-account", [(f"{A}.externalId", "abc")], [f"{A}.externalId"],
                    ["unknown key", f"allowed keys: {KEYS}"]),
    "misspelt-key": ("acme-account", [(f"{A}.maxSessionHour", 2)], [f"{A}.maxSessionHour"],
                     ["did you mean 'maxSessionHours'?"]),
    "not-a-mapping": ("acme-account", [(A, "999999999999")], [A], ["is not a mapping", f"a mapping with keys {KEYS}"]),
}


@each_case(CASES)
def test_bad_access_names_field_and_allowed_values(
    stack: str, changes: list[tuple[str, Any]], paths: list[str], phrases: list[str]
) -> None:
    assert_issues(issues_of(config_of(stack, *changes)), paths, phrases)


def test_the_stack_files_parse_with_their_access_and_defaults_apply() -> None:
    acme = parse_stack_config(STACKS["acme-account"], SOURCE)
    assert acme.access is not None
    assert (acme.access.operator_account_id, acme.access.ci_role_arn) == (
        "999999999999", "arn:aws:iam::999999999999:role/connect-ci")
    assert (acme.access.session_seconds, acme.access.account_trail, acme.access.log_retention_days) == (3600, True, 365)
    minimal = AccessConfig.model_validate(ACCESS)
    assert (minimal.max_session_hours, minimal.cloud_trail, minimal.log_retention_days) == (1, "account", 365)
    assert minimal.alerts.as_alerts().emails == []
    assert parse_stack_config(STACKS["acme-prod"], SOURCE, FILES["acme-prod"].secret_keys).access is None


@pytest.mark.parametrize("changes", [
    [(f"{A}.maxSessionHours", 12)], [(f"{A}.maxSessionHours", 1)], [(f"{A}.logRetentionDays", 3653)],
    [(f"{A}.cloudTrail", "organization")], [(f"{A}.alerts", {})], [(f"{A}.alerts", DELETE)],
], ids=["longest-session", "shortest-session", "ten-years-of-logs", "organization", "no-subscribers",
        "alerts-omitted"])
def test_values_at_the_limits_are_accepted(changes: list[tuple[str, Any]]) -> None:
    parse_stack_config(config_of("acme-account", *changes), SOURCE)


@pytest.mark.parametrize("value", [None, [], 0, "", {"operatorAccountId": None}, {"alerts": []}, 10**5000],
                         ids=["null", "list", "zero", "empty-text", "null-account", "alerts-list", "huge-int"])
def test_odd_values_give_a_report_not_a_crash(value: Any) -> None:
    parse_odd(STACKS["acme-account"], A, value)


def test_key_is_declared_and_in_the_schema() -> None:
    assert A in CONNECT_KEYS
    config = stack_config_schema()["properties"]["config"]["properties"]
    assert A in config
