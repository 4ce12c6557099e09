"""`connectctl guardrails`: the catalogue with its metadata, and the generated responsibility matrix."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from connect_guardrails.catalogue import RULES
from connectctl.cli import app
from connectctl.docs import responsibility_matrix

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"id", "description", "kind", "level", "severity", "owner", "anchors", "remediation", "unwaivable"}


def test_json_lists_every_rule_with_its_metadata() -> None:
    result = CliRunner().invoke(app, ["guardrails", "--format", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["pack"] == "connect-guardrails"
    assert [r["id"] for r in doc["rules"]] == [r.id for r in RULES]
    for rule in doc["rules"]:
        assert set(rule) == KEYS
        assert rule["owner"] in ("operator", "client") and rule["level"] in ("mandatory", "advisory")
        assert rule["remediation"] and rule["description"]


def test_text_table_names_every_rule() -> None:
    result = CliRunner().invoke(app, ["guardrails"])
    assert result.exit_code == 0
    assert f"{len(RULES)} guardrails" in result.stdout
    assert all(rule.id in result.stdout for rule in RULES)


def test_committed_matrix_is_current() -> None:
    committed = (ROOT / "docs" / "guardrails.md").read_text()
    assert committed == responsibility_matrix([r.metadata() for r in RULES]), "run `make docs`"


def test_matrix_marks_each_rule_for_its_owner() -> None:
    page = responsibility_matrix([r.metadata() for r in RULES])
    for rule in RULES:
        row = next(line for line in page.splitlines() if line.startswith(f"| `{rule.id}` |"))
        operator, client = row.split("|")[2:4]
        assert (operator.strip(), client.strip()) == (("x", "") if rule.owner == "operator" else ("", "x"))
