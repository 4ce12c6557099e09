"""Mutation tests: every mandatory rule of the catalogue has mutants of the real program's output that break it,
and the pack kills every one (a mandatory finding of that rule). The last test prints the kill ratio
(`pytest -s` shows it). The mutants and how they are run: `mutations.py`.
"""

from __future__ import annotations

import pytest

from connectctl.engine.analyzer import analyze, analyze_via_servicer
from tests.policies.mutations import (
    MANDATORY_RULES,
    MUTATIONS,
    Mutation,
    Variant,
    baseline,
    findings,
    focused_config,
    killed,
    mandatory,
    pack_config,
    run,
)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_mutant_is_killed(mutation: Mutation) -> None:
    """The unmutated stack passes the rule; the mutant gets a mandatory finding of it."""
    clean = findings(baseline(mutation.stack, mutation.preview).violations, mutation.rule)
    assert clean == [], f"{mutation.stack} already fails {mutation.rule} before mutation: {clean}"
    found = run(mutation)
    assert mandatory(found, mutation.rule), (
        f"{mutation.rule} did not catch: {mutation.description} ({mutation.kind} mutant of {mutation.stack}, "
        f"{'preview' if mutation.preview else 'up'}); diagnostics: {found}"
    )


def test_focused_config_changes_nothing_for_the_rule() -> None:
    """Running one policy alone gives it exactly the findings it has in the whole pack."""
    mutation = next(m for m in MUTATIONS if m.kind == "capture" and m.rule == "private-egress-via-nat")
    variant = Variant(baseline(mutation.stack, mutation.preview).capture.resources)
    mutation.apply(variant)
    whole = analyze(variant.resources, pack_config(mutation.stack))
    alone = analyze(variant.resources, focused_config(mutation.stack, mutation.rule))
    assert [v for v in whole if v.policy == mutation.rule] == alone
    assert alone


def test_every_mandatory_rule_has_a_mutant() -> None:
    """The catalogue is covered: no mandatory rule without a mutant, no mutant of an unknown or advisory rule."""
    mutated = {m.rule for m in MUTATIONS}
    assert sorted(set(MANDATORY_RULES) - mutated) == []
    assert sorted(mutated - set(MANDATORY_RULES)) == []
    assert len({m.id for m in MUTATIONS}) == len(MUTATIONS)


def test_kill_ratio() -> None:
    """Every mutant killed: prints `mutation kill ratio: K/N (P%)` and lists the survivors."""
    survivors = [m for m in MUTATIONS if not killed(m)]
    total = len(MUTATIONS)
    kills = total - len(survivors)
    print(f"\nmutation kill ratio: {kills}/{total} ({100 * kills / total:.1f}%)")
    print(f"  {total} mutants of {len({m.rule for m in MUTATIONS})}/{len(MANDATORY_RULES)} mandatory rules")
    for survivor in survivors:
        print(f"  survived: {survivor.id}: {survivor.description}")
    assert survivors == []


@pytest.mark.parametrize("mutation", [m for m in MUTATIONS if m.kind == "capture"], ids=lambda m: m.id)
def test_fast_evaluator_equals_the_sdk_servicer_on_mutants(mutation: Mutation) -> None:
    """`analyze` (each resource deserialized once) reports exactly what the SDK's servicer reports."""
    variant = Variant(baseline(mutation.stack, mutation.preview).capture.resources)
    mutation.apply(variant)
    config = focused_config(mutation.stack, mutation.rule)
    fast = sorted((v.policy, v.level, v.severity, v.urn, v.message) for v in analyze(variant.resources, config))
    reference = sorted((v.policy, v.level, v.severity, v.urn, v.message)
                       for v in analyze_via_servicer(variant.resources, config))
    assert fast == reference
    assert fast  # a mutant is a violation: the comparison is over real findings
