"""The README stays true: its guardrail table is the catalogue, its commands are the Makefile's."""

from __future__ import annotations

from pathlib import Path

from connect_guardrails.catalogue import RULES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_guardrail_table_matches_the_catalogue() -> None:
    for rule in RULES:
        level = rule.level + (", unwaivable" if rule.unwaivable else "")
        row = f"| `{rule.id}` | {rule.kind} | {level} | {rule.severity} | {rule.owner} | {rule.description} |"
        assert row in README, f"README guardrail row out of date for {rule.id}"


def test_the_two_commands_exist_and_ci_runs_the_test_one() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "make plan" in README and "make test" in README
    assert "\nplan: setup" in makefile and "\ntest: setup" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()
