"""The adversarial corpus (`corpus.py`) against the whole pack: recall per capability class and overall.

`pytest -s` prints the table. Every miss must be in `corpus.ACCEPTED_MISSES` with the rule that should catch it,
and every entry there must still be a miss: a new hole fails, and so does a fixed one until its entry goes. The
98% floor (`RECALL_FLOOR`, issue #20: at most 2 of 125 missed) holds: a change that lets recall drop below it
fails. The benign changes must produce no mandatory finding.
"""

from __future__ import annotations

from collections import Counter

import pytest

from connectctl import inventory
from tests.policies import corpus
from tests.policies.mutations import baseline

RECALL_FLOOR = 0.98
CLASSES = list(inventory.CAPABILITIES)


def test_the_corpus_is_generated_per_class_from_the_inventory() -> None:
    """At least 100 malicious mutants over four stacks, every class represented, every configuration used."""
    assert corpus.orphans() == [], "a dangerous configuration's type is not in its class in the inventory"
    mutants = corpus.MUTANTS
    assert len(mutants) >= 100
    assert len({m.id for m in corpus.ALL}) == len(corpus.ALL)
    per_class = Counter(m.capability for m in mutants)
    assert set(per_class) == set(CLASSES) and min(per_class.values()) >= 15, per_class
    assert {m.stack for m in mutants} == {corpus.ACME, corpus.GLOBEX, corpus.STAGING, corpus.ACCOUNT}
    assert len(corpus.BENIGN) >= 5
    classes = inventory.by_capability(inventory.load())
    assert all(m.type in classes[m.capability] for m in mutants)


def test_baselines_are_clean() -> None:
    """The unmutated plans have no mandatory finding: whatever a mutant gets, its change caused."""
    for stack, preview in sorted({(m.stack, m.preview) for m in corpus.ALL}):
        assert baseline(stack, preview).mandatory == [], (stack, preview)


@pytest.mark.parametrize("mutant", corpus.BENIGN, ids=lambda m: m.id)
def test_benign_changes_raise_no_mandatory_finding(mutant: corpus.Mutant) -> None:
    assert corpus.catchers(mutant) == [], f"false alarm on a benign change: {mutant.description}"


def test_no_mutant_is_caught_only_by_tenant_tags() -> None:
    """Added resources carry the tenant's tags: a catch must come from the misconfiguration, not from hygiene."""
    accidental = [m.id for m in corpus.MUTANTS if corpus.catchers(m) == ["tenant-tags"]]
    assert accidental == []


def _rows() -> list[tuple[corpus.Mutant, list[str]]]:
    return [(m, corpus.catchers(m)) for m in corpus.MUTANTS]


def test_recall_per_class_and_every_miss_accepted() -> None:
    """Prints recall per class and overall; every miss is in ACCEPTED_MISSES with its rule, no entry is stale."""
    rows = _rows()
    misses = [m for m, caught in rows if not caught]
    print("\nadversarial corpus: recall per capability class (mutants with a mandatory finding / mutants)")
    for capability in CLASSES:
        of_class = [(m, caught) for m, caught in rows if m.capability == capability]
        hit = sum(1 for _, caught in of_class if caught)
        only_allow_list = sum(1 for _, caught in of_class if caught == ["allowed-resource-types"])
        print(f"  {capability:17} {hit:3}/{len(of_class):3} ({100 * hit / len(of_class):5.1f}%)"
              f"   {only_allow_list:2} caught only by allowed-resource-types")
    caught = len(rows) - len(misses)
    print(f"  {'overall':17} {caught:3}/{len(rows):3} ({100 * caught / len(rows):5.1f}%)")
    for mutant in misses:
        accepted = corpus.ACCEPTED_MISSES.get(mutant.id)
        print(f"  missed: {mutant.id}: {mutant.description} -> {accepted.rule if accepted else 'NOT ACCEPTED'}")
    print(f"  benign: {len(corpus.BENIGN)} changes, "
          f"{sum(1 for m in corpus.BENIGN if corpus.catchers(m))} with a mandatory finding")
    unlisted = [m.id for m in misses if m.id not in corpus.ACCEPTED_MISSES]
    assert unlisted == [], "misses without an entry in corpus.ACCEPTED_MISSES (fix a rule, or accept with a reason)"
    stale = sorted(set(corpus.ACCEPTED_MISSES) - {m.id for m in misses})
    assert stale == [], "caught now (or gone): remove these entries from corpus.ACCEPTED_MISSES"
    for miss in corpus.ACCEPTED_MISSES.values():
        assert miss.rule and len(miss.reason) >= 40


def test_recall_reaches_the_floor() -> None:
    """At least 98% of the malicious mutants get a mandatory finding."""
    rows = _rows()
    recall = sum(1 for _, caught in rows if caught) / len(rows)
    assert recall >= RECALL_FLOOR, f"recall {100 * recall:.1f}% < {100 * RECALL_FLOOR:.0f}%"
