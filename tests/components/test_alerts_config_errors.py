"""Bad alert thresholds in, precise issues out: `connect:alerts.thresholds`.

Every case starts from a valid stack file (acme-prod: default thresholds; globex-prod: its own),
changes one thing and checks the exact path(s) of the issues reported and the key phrases of the
first message: what is wrong and what is allowed instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.config import AlertThresholds, parse_stack_config
from connectctl.engine.project import load_project, load_stack
from tests.components.config_cases import (
    DELETE,
    SOURCE,
    Case,
    assert_issues,
    changer,
    each_case,
    each_field_path,
    issues_of,
    parse_odd,
)

PROJECT = load_project()
FILES = {name: load_stack(PROJECT, name) for name in ("acme-prod", "globex-prod", "acme-account")}
STACKS = {name: stack.config for name, stack in FILES.items()}
SECRETS = {name: list(stack.secret_keys) for name, stack in FILES.items()}
T = "connect:alerts.thresholds"
KEYS = ("periodSeconds, evaluationPeriods, errorRatePercent, minimumRequests, latencyP95Seconds, latencyP99Seconds, "
        "cpuPercent, memoryPercent, natPacketDropPercent")
PERCENT = "allowed: a percentage above 0 and at most 100"
SECONDS = "allowed: seconds above 0 and at most 4000"
PERIODS = "allowed: 60, 300, 900, 3600 seconds"

config_of = changer(STACKS)

def acme(thresholds: Any) -> list[tuple[str, Any]]:
    """acme-prod (no thresholds in its file) with a thresholds block."""
    return [(T, thresholds)]


CASES: dict[str, Case] = {
    # --- period and evaluation periods ----------------------------------------------------------
    "period-not-a-cloudwatch-period": ("acme-prod", acme({"periodSeconds": 120}), [f"{T}.periodSeconds"],
                                       ["120 is not an alarm period", PERIODS]),
    "period-as-text": ("acme-prod", acme({"periodSeconds": "60"}), [f"{T}.periodSeconds"],
                       ["'60' is not an alarm period", PERIODS]),
    "period-as-float": ("acme-prod", acme({"periodSeconds": 60.0}), [f"{T}.periodSeconds"], [PERIODS]),
    "period-as-boolean": ("acme-prod", acme({"periodSeconds": True}), [f"{T}.periodSeconds"],
                          ["True is not an alarm period"]),
    "periods-zero": ("acme-prod", acme({"evaluationPeriods": 0}), [f"{T}.evaluationPeriods"],
                     ["0 is out of range", "allowed: periods from 1 to 24"]),
    "periods-above-a-day": ("globex-prod", [(f"{T}.evaluationPeriods", 25)], [f"{T}.evaluationPeriods"],
                            ["25 is out of range", "from 1 to 24"]),
    "periods-fraction": ("acme-prod", acme({"evaluationPeriods": 2.5}), [f"{T}.evaluationPeriods"],
                         ["2.5 is not a whole number", "periods from 1 to 24"]),
    # --- 5xx rate ---------------------------------------------------------------------------------
    "error-rate-zero": ("acme-prod", acme({"errorRatePercent": 0}), [f"{T}.errorRatePercent"],
                        ["0 is out of range", PERCENT]),
    "error-rate-above-100": ("globex-prod", [(f"{T}.errorRatePercent", 101)], [f"{T}.errorRatePercent"],
                             ["101 is out of range", PERCENT]),
    "error-rate-as-text": ("acme-prod", acme({"errorRatePercent": "5%"}), [f"{T}.errorRatePercent"],
                           ["'5%' is not a number", PERCENT]),
    "error-rate-boolean": ("acme-prod", acme({"errorRatePercent": True}), [f"{T}.errorRatePercent"],
                           ["True is not a number"]),
    "error-rate-nan": ("acme-prod", acme({"errorRatePercent": float("nan")}), [f"{T}.errorRatePercent"],
                       ["nan is not a number"]),
    "minimum-requests-negative": ("acme-prod", acme({"minimumRequests": -1}), [f"{T}.minimumRequests"],
                                  ["-1 is out of range", "allowed: requests per period from 0 to 1000000"]),
    # --- latency ----------------------------------------------------------------------------------
    "p95-zero": ("acme-prod", acme({"latencyP95Seconds": 0}), [f"{T}.latencyP95Seconds"],
                 ["0 is out of range", SECONDS]),
    "p95-above-idle-timeout": ("acme-prod", acme({"latencyP95Seconds": 5000, "latencyP99Seconds": 6000}),
                               [f"{T}.latencyP95Seconds", f"{T}.latencyP99Seconds"], ["5000 is out of range", SECONDS]),
    "p99-below-p95": ("globex-prod", [(f"{T}.latencyP99Seconds", 0.5)], [f"{T}.latencyP99Seconds"],
                      ["0.5 is below latencyP95Seconds (0.8)", "allowed: from 0.8 to 4000"]),
    "p99-below-default-p95": ("acme-prod", acme({"latencyP99Seconds": 0.2}), [f"{T}.latencyP99Seconds"],
                              ["0.2 is below latencyP95Seconds (1)"]),
    "p95-above-default-p99": ("acme-prod", acme({"latencyP95Seconds": 3}), [f"{T}.latencyP99Seconds"],
                              ["2.5 (the default: set latencyP99Seconds too) is below latencyP95Seconds (3)"]),
    "p99-as-text": ("acme-prod", acme({"latencyP99Seconds": "2s"}), [f"{T}.latencyP99Seconds"],
                    ["'2s' is not a number", SECONDS]),
    # --- resources and NAT ------------------------------------------------------------------------
    "cpu-above-100": ("acme-prod", acme({"cpuPercent": 150}), [f"{T}.cpuPercent"], ["150 is out of range", PERCENT]),
    "memory-negative": ("globex-prod", [(f"{T}.memoryPercent", -5)], [f"{T}.memoryPercent"],
                        ["-5 is out of range", PERCENT]),
    "nat-drop-zero": ("acme-prod", acme({"natPacketDropPercent": 0}), [f"{T}.natPacketDropPercent"],
                      ["0 is out of range", PERCENT]),
    # --- shape ------------------------------------------------------------------------------------
    "unknown-key": ("acme-prod", acme({"errorRate": 2}), [f"{T}.errorRate"],
                    ["unknown key", "did you mean 'errorRatePercent'?", KEYS]),
    "thresholds-not-a-mapping": ("acme-prod", acme([5]), [T], ["is not a mapping", f"a mapping with keys {KEYS}"]),
    "thresholds-key-misspelt": ("acme-prod", [("connect:alerts.threshold", {})], ["connect:alerts.threshold"],
                                ["unknown key", "did you mean 'thresholds'?", "emails, httpsEndpoints, thresholds"]),
    "thresholds-in-account-stack": ("acme-account", [("connect:alerts", {"thresholds": {"cpuPercent": 90}})],
                                    ["connect:alerts"], ["not used in an account stack"]),
    "several-at-once": ("globex-prod", [(f"{T}.periodSeconds", 30), (f"{T}.cpuPercent", 0)],
                        [f"{T}.periodSeconds", f"{T}.cpuPercent"], ["30 is not an alarm period"]),
}


@each_case(CASES)
def test_bad_threshold_names_field_and_allowed_values(
    stack: str, changes: list[tuple[str, Any]], paths: list[str], phrases: list[str]
) -> None:
    assert_issues(issues_of(config_of(stack, *changes), SECRETS[stack]), paths, phrases)


def test_a_cpu_alarm_at_or_below_a_scaling_target_is_refused() -> None:
    """globex-prod alarms above 80% CPU; search-api scales to hold 70%, the highest target. An alarm at 70% would
    fire whenever autoscaling does its job: the service's target is blamed, naming both values."""
    services = STACKS["globex-prod"]["connect:services"]
    [index] = [i for i, s in enumerate(services) if s.get("scaling", {}).get("cpuTarget", 60) >= 70]
    assert services[index]["name"] == "search-api"
    issues = issues_of(config_of("globex-prod", (f"{T}.cpuPercent", 70)), SECRETS["globex-prod"])
    assert_issues(issues, [f"connect:services[{index}].scaling.cpuTarget"],
                  ["70% is not below connect:alerts.thresholds.cpuPercent (70%)", "allowed: below 70"])
    parse_stack_config(config_of("globex-prod", (f"{T}.cpuPercent", 71)), SOURCE, SECRETS["globex-prod"])


def test_defaults_apply_when_absent_and_the_stack_file_wins_when_set() -> None:
    acme_prod = parse_stack_config(STACKS["acme-prod"], SOURCE, SECRETS["acme-prod"])
    assert acme_prod.alerts.thresholds == AlertThresholds()
    defaults = AlertThresholds()
    assert (defaults.period_seconds, defaults.evaluation_periods, defaults.error_rate_percent,
            defaults.minimum_requests, defaults.latency_p95_seconds, defaults.latency_p99_seconds,
            defaults.cpu_percent, defaults.memory_percent, defaults.nat_packet_drop_percent) == (
        60, 3, 5.0, 10, 1.0, 2.5, 85.0, 85.0, 0.01)
    globex = parse_stack_config(STACKS["globex-prod"], SOURCE, SECRETS["globex-prod"]).alerts.thresholds
    assert (globex.evaluation_periods, globex.error_rate_percent, globex.latency_p95_seconds,
            globex.latency_p99_seconds, globex.cpu_percent, globex.memory_percent) == (5, 2.0, 0.8, 2.0, 80.0, 90.0)
    assert globex.period_seconds == 60  # not set in the file: the default


@pytest.mark.parametrize("thresholds", [
    {"periodSeconds": 3600, "evaluationPeriods": 24},
    {"periodSeconds": 300, "evaluationPeriods": 1},
    {"errorRatePercent": 100, "cpuPercent": 100, "memoryPercent": 0.5, "natPacketDropPercent": 0.001},
    {"latencyP95Seconds": 2, "latencyP99Seconds": 2},
    {"latencyP95Seconds": 0.05, "latencyP99Seconds": 4000},
    {"minimumRequests": 0},
    {},
], ids=["longest-window", "shortest-window", "percent-limits", "equal-percentiles", "latency-limits",
        "judge-every-request", "empty"])
def test_values_at_the_limits_are_accepted(thresholds: dict[str, Any]) -> None:
    cfg = parse_stack_config(config_of("acme-prod", (T, thresholds)), SOURCE, SECRETS["acme-prod"])
    for key, value in thresholds.items():
        field = next(name for name, info in AlertThresholds.model_fields.items() if info.alias == key)
        assert getattr(cfg.alerts.thresholds, field) == value


def test_removing_the_block_restores_the_defaults() -> None:
    cfg = parse_stack_config(config_of("globex-prod", (T, DELETE)), SOURCE, SECRETS["globex-prod"])
    assert cfg.alerts.thresholds == AlertThresholds()


# --- robustness: any value in any field gives StackConfigError, never another exception -------------

ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 60, 0.01, 1.5, 100, 101, float("nan"), float("inf"), float("-inf"), 10**40, 10**5000,
    -(10**40), "", " ", "60", "5%", "ünïcödé", [], {}, [None], {"a": None}, {1: "x"}, b"bytes", (1, 2),
]
THRESHOLD_FIELDS = ["periodSeconds", "evaluationPeriods", "errorRatePercent", "minimumRequests", "latencyP95Seconds",
                    "latencyP99Seconds", "cpuPercent", "memoryPercent", "natPacketDropPercent", "unknownKey"]
FIELD_PATHS = ([("acme-prod", f"{T}.{field}") for field in THRESHOLD_FIELDS]
               + [("globex-prod", f"{T}.{field}") for field in ("latencyP95Seconds", "latencyP99Seconds")]
               + [("acme-prod", T), ("acme-account", T)])


@each_field_path(FIELD_PATHS)
def test_odd_values_only_ever_raise_stack_config_error(stack: str, path: str) -> None:
    for value in ODD_VALUES:
        error = parse_odd(STACKS[stack], path, value, SECRETS[stack])
        if error is not None and stack != "acme-account":
            # A low cpuPercent is refused on the services whose scaling target it does not clear.
            blamed = (T, "connect:services[") if path.endswith("cpuPercent") else (T,)
            assert all(issue.path.startswith(blamed) for issue in error.issues), (path, value, error.issues)
