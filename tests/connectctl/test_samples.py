"""The command samples of README.md and docs/*.md stay true (issue #16, part 7).

`connectctl/samples.py` regenerates every marked sample from its command; the first test regenerates them in
memory and fails when one differs from the committed text (regenerate with `make docs`, or
`.venv/bin/python -m connectctl.samples`). The others test the markers, clauses and abridging on small texts with a
stand-in runner, without planning.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connectctl import samples
from connectctl.samples import Sample, SampleError, abridge, parse, regenerate

ROOT = Path(__file__).resolve().parents[2]


def test_every_sample_is_what_its_command_prints() -> None:
    result = samples.regenerate_all(ROOT)
    assert result.stale == [], ("stale samples: regenerate them with `.venv/bin/python -m connectctl.samples` "
                                f"(make docs): {result.stale}")


def test_the_documents_mark_the_plan_capacity_diff_and_diagram_samples() -> None:
    marked = {m.group("spec").split(";")[0] for path in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
              for m in samples.OPEN.finditer(path.read_text())}
    assert {"connectctl capacity acme-prod", "connectctl capacity --all", "connectctl diff acme-prod --base main"} \
        <= marked
    assert samples.FILES == {"docs/diagram-acme-prod.mmd": "connectctl diagram acme-prod"}


def fake(sample: Sample) -> str:
    return f"output of {sample.command}\n"


def test_a_block_is_rewritten_and_the_text_around_it_kept() -> None:
    text = ("intro\n<!-- sample: connectctl capacity acme-prod -->\n```text\n$ old\nstale\n```\n<!-- /sample -->\n"
            "outro\n")
    fresh, stale = regenerate(text, "README.md", fake)
    assert fresh == ("intro\n<!-- sample: connectctl capacity acme-prod -->\n```text\n$ connectctl capacity acme-prod\n"
                     "output of connectctl capacity acme-prod\n```\n<!-- /sample -->\noutro\n")
    assert stale == ["README.md:2: connectctl capacity acme-prod"]
    assert regenerate(fresh, "README.md", fake) == (fresh, [])


def test_a_marker_without_its_end_is_an_error() -> None:
    text = "<!-- sample: connectctl capacity acme-prod -->\n```text\n```\n<!-- sample: connectctl capacity --all -->\n"
    with pytest.raises(SampleError, match=r"^README.md:1: <!-- sample: ... --> without its <!-- /sample -->$"):
        regenerate(text, "README.md", fake)


def test_the_clauses() -> None:
    sample = parse('connectctl diff acme-prod --base main; edit "cidr: 10.40.0.0/16" -> "cidr: 10.50.0.0/16"; '
                   "keep 3, data-ledger-subnets, network-vpc", "README.md:9")
    assert sample == Sample("connectctl diff acme-prod --base main", (("cidr: 10.40.0.0/16", "cidr: 10.50.0.0/16"),),
                            3, frozenset({"data-ledger-subnets", "network-vpc"}))
    with pytest.raises(SampleError, match=r"README\.md:9: a sample shows a `connectctl` command, not 'ls -l'"):
        parse("ls -l", "README.md:9")
    with pytest.raises(SampleError, match=r"README\.md:9: unknown clause 'sort'"):
        parse("connectctl capacity --all; sort", "README.md:9")


def test_an_edit_goes_with_a_diff_against_a_base() -> None:
    with pytest.raises(SampleError, match="an edit goes with `connectctl diff STACK --base REV`"):
        samples.run(Sample("connectctl capacity acme-prod", (("a", "b"),)))


def test_abridging_keeps_the_first_entries_of_each_section_and_the_named_ones() -> None:
    text = "\n".join([
        "Diff of x", "Replaced (4)",
        "  +- replace a T", "      because x", "  +- replace b T", "  +- replace c T", "      c: 1 -> 2",
        "  +- replace d T", "Updated (1)", "  ~ update  e T", "BLOCKED: ..."]) + "\n"
    assert abridge(text, 1, frozenset({"d"})) == "\n".join([
        "Diff of x", "Replaced (4)", "  +- replace a T", "      because x", "  ...", "  +- replace d T",
        "Updated (1)", "  ~ update  e T", "BLOCKED: ..."]) + "\n"
    assert abridge(text, 5) == text


def test_the_committed_samples_show_no_clock() -> None:
    """Samples are deterministic: no time of day and no durations in them."""
    for path in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):
        text = path.read_text()
        for marker in samples.OPEN.finditer(text):
            block = text[marker.end():text.find(samples.CLOSE, marker.end())]
            assert not re.search(r"\b\d{2}:\d{2}:\d{2}\b|\b\d+\.\d+ ?s\b", block), (path, marker.group(0))
