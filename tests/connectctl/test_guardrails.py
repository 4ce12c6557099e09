"""`connectctl guardrails`: the catalogue with its metadata and controls, and the generated responsibility matrix."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from connect_guardrails.catalogue import RULES
from connect_guardrails.controls import FRAMEWORKS, MAPPING_NOTE, label
from connectctl.cli import app
from connectctl.docs import responsibility_matrix

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"id", "description", "kind", "level", "severity", "owner", "anchors", "remediation", "unwaivable", "controls"}


def test_json_lists_every_rule_with_its_metadata() -> None:
    result = CliRunner().invoke(app, ["guardrails", "--format", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["pack"] == "connect-guardrails"
    assert doc["note"] == MAPPING_NOTE and "not a certification" in doc["note"]
    assert set(doc["frameworks"]) == set(FRAMEWORKS) == {"iso27001", "ccm"}
    assert [r["id"] for r in doc["rules"]] == [r.id for r in RULES]
    for rule, source in zip(doc["rules"], RULES, strict=True):
        assert set(rule) == KEYS
        assert rule["owner"] in ("operator", "client") and rule["level"] in ("mandatory", "advisory")
        assert rule["remediation"] and rule["description"]
        assert rule["controls"] == {"iso27001": list(source.iso27001), "ccm": list(source.ccm)}


def test_text_table_names_every_rule() -> None:
    result = CliRunner().invoke(app, ["guardrails"])
    assert result.exit_code == 0
    assert f"{len(RULES)} guardrails" in result.stdout
    assert all(rule.id in result.stdout for rule in RULES)
    flat = " ".join(result.stdout.split())  # cells fold over lines
    assert "controls (our mapping)" in flat and "not a certification" in flat
    assert "ISO A.8.20" in flat and "CCM IVS-03" in flat


def test_committed_matrix_is_current() -> None:
    committed = (ROOT / "docs" / "guardrails.md").read_text()
    assert committed == responsibility_matrix([r.metadata() for r in RULES]), "run `make docs`"


def test_matrix_marks_each_rule_for_its_owner() -> None:
    page = responsibility_matrix([r.metadata() for r in RULES])
    for rule in RULES:
        row = next(line for line in page.splitlines() if line.startswith(f"| `{rule.id}` |"))
        operator, client = row.split("|")[2:4]
        assert (operator.strip(), client.strip()) == (("x", "") if rule.owner == "operator" else ("", "x"))


def test_matrix_shows_each_rules_controls_and_the_coverage_per_control() -> None:
    page = responsibility_matrix([r.metadata() for r in RULES])
    assert "ours, not a certification" in page and MAPPING_NOTE in page
    for rule in RULES:
        row = next(line for line in page.splitlines() if line.startswith(f"| `{rule.id}` |"))
        assert row.endswith(f"| {label(rule.controls)} |")
    coverage = page[page.index("## Control coverage"):]
    for framework in FRAMEWORKS.values():
        assert f"### {framework.name}" in coverage
    assert "| A.8.20 | Networks security | " in coverage and "| A.5.24 | Information security incident" in coverage
