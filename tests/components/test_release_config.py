"""The release gate's settings (`connect:platform.release`, `connect:services[].release`): validated with precise
messages, and invisible to the program: a stack plans to the very same resources with or without them."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from components.config import ReleaseOverrideConfig, parse_stack_config
from connectctl.diff import diff_plans
from connectctl.engine.project import load_project, load_stack
from connectctl.plan import plan_stack
from tests.components.config_cases import issues_of, with_changes

ROOT = Path(__file__).resolve().parents[2]
PROD = load_stack(load_project(), "acme-prod").config
OVERRIDE = {"maxSeverity": "CRITICAL", "reason": "CVE-2024-2001 is in a CLI tool the service never runs",
            "expires": "2027-03-31", "ticket": "SEC-142"}
S0 = "connect:services[0].release"


def test_valid_settings_parse_to_typed_values() -> None:
    cfg = parse_stack_config(with_changes(PROD, ("connect:platform.release", {"maxSeverity": "MEDIUM"}),
                                          (S0, OVERRIDE)), "stacks/Pulumi.test.yaml")
    assert cfg.platform.release.max_severity == "MEDIUM"
    assert cfg.services[0].release == ReleaseOverrideConfig.model_validate(OVERRIDE)
    assert cfg.services[0].release.expires == datetime.date(2027, 3, 31)
    assert cfg.services[1].release is None
    assert parse_stack_config(PROD, "x").platform.release.max_severity == "HIGH"  # the default


def test_an_override_holds_through_its_expiry_day() -> None:
    override = ReleaseOverrideConfig.model_validate(OVERRIDE)
    assert override.active_on(datetime.date(2027, 3, 31))
    assert not override.active_on(datetime.date(2027, 4, 1))


@pytest.mark.parametrize(("changes", "path", "phrases"), [
    ([("connect:platform.release", {"maxSeverity": "LOW"})], "connect:platform.release.maxSeverity",
     ["'LOW' is not a release threshold", "allowed: CRITICAL, HIGH, MEDIUM"]),
    ([("connect:platform.release", {"maxSeverity": "high"})], "connect:platform.release.maxSeverity",
     ["'high' is not a release threshold"]),
    ([(S0, {k: v for k, v in OVERRIDE.items() if k != "reason"})], f"{S0}.reason", ["required key is missing"]),
    ([(S0, {**OVERRIDE, "reason": "  because  "})], f"{S0}.reason",
     ["reason is 7 characters", "allowed: text of 20-500 characters"]),
    ([(S0, {**OVERRIDE, "reason": "x" * 501})], f"{S0}.reason", ["reason is 501 characters"]),
    ([(S0, {k: v for k, v in OVERRIDE.items() if k != "expires"})], f"{S0}.expires", ["required key is missing"]),
    ([(S0, {**OVERRIDE, "expires": "2027-02-30"})], f"{S0}.expires",
     ["'2027-02-30' is not a date", "allowed: YYYY-MM-DD"]),
    ([(S0, {**OVERRIDE, "expires": "2027-03-31T00:00:00"})], f"{S0}.expires", ["is not a date"]),
    ([(S0, {**OVERRIDE, "maxSeverity": "NONE"})], f"{S0}.maxSeverity", ["'NONE' is not a release threshold"]),
    ([(S0, {**OVERRIDE, "ticket": "SEC 142"})], f"{S0}.ticket", ["'SEC 142' is not a ticket reference"]),
    ([(S0, {**OVERRIDE, "until": "2027-03-31"})], f"{S0}.until",
     ["unknown key", "allowed keys: maxSeverity, reason, expires, ticket"]),
    ([(S0, "CRITICAL")], S0, ["is not a mapping"]),
])
def test_bad_settings_name_the_field_and_what_is_allowed(changes: list[tuple[str, Any]], path: str,
                                                          phrases: list[str]) -> None:
    [issue] = issues_of(with_changes(PROD, *changes))
    assert issue.path == path
    for phrase in phrases:
        assert phrase in issue.message


def test_the_program_declares_the_same_with_or_without_them(tmp_path: Path) -> None:
    """acme-prod with a threshold and an override on every service: every resource and input unchanged."""
    text = (ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text()
    text, found = re.subn(r"(?m)^  connect:platform:\n", "  connect:platform:\n    release: {maxSeverity: MEDIUM}\n",
                          text)
    assert found == 1
    override = ("      release: {maxSeverity: CRITICAL, reason: \"CVE-2024-2001 is in a CLI tool the service never "
                "runs\", expires: \"2027-03-31\", ticket: SEC-142}\n")
    text, services = re.subn(r"(?m)^(    - name: [a-z-]+\n)", rf"\1{override}", text)
    assert services >= 2
    copy = tmp_path / "Pulumi.acme-prod.yaml"
    copy.write_text(text)
    shutil.copy(ROOT / "stacks" / "policy.acme-prod.json", tmp_path / "policy.acme-prod.json")
    with_them = plan_stack(config_file=copy, preview=False)
    assert all(s.release is not None for s in with_them.config.services)
    without = plan_stack("acme-prod", preview=False)
    result = diff_plans(without, with_them)
    assert result.resources == [] and result.unchanged == len(without.resources)
    assert with_them.as_json()["outputs"] == without.as_json()["outputs"]
