"""The README stays a front door, and the documents it opens stay true.

The README is short (what it is, the two commands, running it, adding a client, the layout, links into `docs/`);
its commands are the Makefile's; the guardrail catalogue is documented once, generated (`docs/guardrails.md`);
and every link of the README and `docs/` leads to a file, and a heading, inside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connect_guardrails.catalogue import RULES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
MAX_README_LINES = 250
DOCUMENTS = sorted([ROOT / "README.md", ROOT / "BENCHMARKS.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def test_the_readme_is_a_front_door() -> None:
    lines = README.count("\n")
    assert lines <= MAX_README_LINES, (f"README.md has {lines} lines, at most {MAX_README_LINES}: move references "
                                       "into docs/ and link them")
    for section in ("## Two commands", "## Running it for real", "## Adding a client", "## Layout"):
        assert f"\n{section}\n" in README, f"README.md has no section {section!r}"
    for page in ("docs/connectctl.md", "docs/ci.md", "docs/stack-file.md", "docs/guardrails.md",
                 "docs/operations.md", "docs/dr-runbook.md", "docs/engine-checks.md", "BENCHMARKS.md"):
        assert f"]({page})" in README, f"README.md does not link {page}"


def test_the_two_commands_exist_and_ci_runs_the_test_one() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "make plan" in README and "make test" in README
    assert "\nplan: setup" in makefile and "\ntest: setup" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_guardrail_matrix_lists_every_rule_of_the_catalogue() -> None:
    """The catalogue is documented once, generated from the rules (`docs/guardrails.md`); no hand copy."""
    matrix = (ROOT / "docs" / "guardrails.md").read_text()
    for rule in RULES:
        row = next((line for line in matrix.splitlines() if line.startswith(f"| `{rule.id}` |")), None)
        assert row is not None, f"docs/guardrails.md has no row for {rule.id}: run `make docs`"
        assert rule.description in row, f"docs/guardrails.md's row for {rule.id} is out of date: run `make docs`"
    assert "| id | kind | level | severity | owner | checks |" not in README, "the README holds no guardrail table"


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (heading := re.match(r"^#{1,6} (.+?)\s*#*$", line)) is not None:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> list[str]:
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            out += [target for target in LINK.findall(re.sub(r"`[^`]*`", "", line))]
    return out


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_stays_in_the_repository_and_leads_somewhere(document: Path) -> None:
    text = document.read_text()
    assert not re.search(r"\.\./shared\b", text), f"{document.name} refers to the shared folder outside the repository"
    broken: list[str] = []
    for target in links(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not a file of ours
            continue
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text()):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert broken == [], f"{document.relative_to(ROOT)}: {broken}"
