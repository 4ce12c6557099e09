"""`connectctl guardrails --by-control`: the rules per control, the gaps, and the controls in SARIF."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from connect_guardrails.catalogue import RULES
from connect_guardrails.controls import CONTROLS, FRAMEWORKS, MAPPING_NOTE
from connectctl.check import CheckResult
from connectctl.cli import app
from connectctl.controls import UNKNOWN_TITLE, coverage, coverage_page
from connectctl.reports import as_sarif
from tests.connectctl.test_check import assert_sarif_valid


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, ["guardrails", "--by-control", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def by_control() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(invoke("--format", "json"))
    return doc


def test_json_maps_every_rule_to_at_least_one_control(by_control: dict[str, Any]) -> None:
    """The issue's done-when: `--by-control --format json` maps every rule to a control."""
    assert by_control["pack"] == "connect-guardrails" and by_control["note"] == MAPPING_NOTE
    assert by_control["summary"] == {"rules": len(RULES), "mapped": len(RULES), "unmapped": []}
    assert [fw["key"] for fw in by_control["frameworks"]] == list(FRAMEWORKS)
    for fw in by_control["frameworks"]:
        covered = {rule_id for control in fw["controls"] for rule_id in control["rules"]}
        assert covered == {rule.id for rule in RULES}, f"every rule supports some {fw['key']} control"


def test_each_control_lists_exactly_the_rules_naming_it(by_control: dict[str, Any]) -> None:
    for fw in by_control["frameworks"]:
        listed = [c for c in CONTROLS if c.framework == fw["key"]]
        assert [(c["id"], c["title"]) for c in fw["controls"]] == [(c.id, c.title) for c in listed]
        for control in fw["controls"]:
            naming = [rule.id for rule in RULES if control["id"] in rule.controls[fw["key"]]]
            assert control["rules"] == naming
        assert fw["supported"] == sum(1 for c in fw["controls"] if c["rules"])


def test_gaps_are_listed_with_their_reason(by_control: dict[str, Any]) -> None:
    for fw in by_control["frameworks"]:
        gaps = [c for c in fw["controls"] if not c["rules"]]
        assert fw["gaps"] == [c["id"] for c in gaps] and gaps
        assert all(c["gap"] for c in gaps)
        assert all("gap" not in c for c in fw["controls"] if c["rules"])
    iso, ccm = (set(fw["gaps"]) for fw in by_control["frameworks"])
    assert {"A.5.24", "A.6.3", "A.8.7"} <= iso and {"HRS-11", "SEF-03"} <= ccm


def test_text_shows_each_framework_its_gaps_and_the_note() -> None:
    flat = " ".join(invoke().split())
    for framework in FRAMEWORKS.values():
        assert framework.name in flat
    assert "Networks security" in flat and "gap" in flat
    assert f"{len(RULES)} of {len(RULES)} guardrails mapped" in flat and "not a certification" in flat


def test_markdown_is_the_coverage_page() -> None:
    page = invoke("--format", "markdown")
    assert page == coverage_page(coverage([r.metadata() for r in RULES]), "connect-guardrails")
    assert page.startswith("# connect-guardrails: guardrails by control\n") and MAPPING_NOTE in page
    assert "| A.8.22 | Segregation of networks | " in page and "| HRS-11 | Security Awareness Training | " in page


def test_unmapped_rules_and_unknown_controls_are_reported_not_hidden() -> None:
    rules = [{"id": "mapped", "controls": {"iso27001": ["A.8.20", "A.9.99"], "ccm": []}},
             {"id": "bare", "controls": {"iso27001": [], "ccm": []}}]
    doc = coverage(rules)
    assert doc["summary"] == {"rules": 2, "mapped": 1, "unmapped": ["bare"]}
    iso = doc["frameworks"][0]["controls"]
    assert {"id": "A.9.99", "title": UNKNOWN_TITLE, "rules": ["mapped"]} in iso
    assert next(c for c in iso if c["id"] == "A.8.20")["rules"] == ["mapped"]


def test_sarif_rules_carry_their_controls_and_stay_valid() -> None:
    result = CheckResult(project="connect", stack="acme-prod", source="state", source_file="state.json",
                         resources=[], violations=[], pack_config=None)
    doc = as_sarif(result)
    assert_sarif_valid(doc)
    rules = {rule["id"]: rule for rule in doc["runs"][0]["tool"]["driver"]["rules"]}
    for rule in RULES:
        properties = rules[rule.id]["properties"]
        assert properties["controls"] == {"iso27001": list(rule.iso27001), "ccm": list(rule.ccm)}
        assert properties["controlsNote"] == MAPPING_NOTE
