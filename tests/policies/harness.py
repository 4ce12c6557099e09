"""Run a small Pulumi program through the offline engine and the real pack, return the findings.

Rule tests use real resource registrations (not hand-built policy args), so what a rule sees is
what the engine would show it: inputs for resource policies, outputs, parents and property
dependencies for stack policies, unknowns in preview.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from connect_guardrails import catalogue
from connectctl.engine.analyzer import Violation, analyze
from connectctl.engine.runner import Capture, run_program

ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"
REGION = "us-east-1"
TAGS = {"connect:client": "acme", "connect:environment": "prod", "connect:managed-by": "connect"}


def registered_for_module(*rules: Any) -> Any:
    """An autouse fixture that puts `rules` in the pack's catalogue for the module's tests, whether or not
    `catalogue.py` lists them yet: `registered = registered_for_module(RULE)`."""

    @pytest.fixture(autouse=True, scope="module")
    def registered() -> Iterator[None]:
        added = [rule for rule in rules if rule not in catalogue.RULES]
        catalogue.RULES.extend(added)
        yield
        for rule in added:
            catalogue.RULES.remove(rule)

    return registered


def provider(account: str = ACCOUNT, name: str = "tenant") -> aws.Provider:
    """An explicit provider pinned to one account, as the program declares it."""
    return aws.Provider(name, region=REGION, allowed_account_ids=[account])


def pinned(p: aws.Provider, **kwargs: Any) -> pulumi.ResourceOptions:
    """Resource options using the explicit provider."""
    return pulumi.ResourceOptions(provider=p, **kwargs)


def capture(program: Callable[[], None], *, preview: bool) -> Capture:
    """Run `program` under the AWS mocks."""
    return run_program(program, project="connect", stack="test", config={}, secret_keys=[],
                       preview=preview, region=REGION, account_id=ACCOUNT)


def evaluate(
    program: Callable[[], None], *, preview: bool, pack_config: dict[str, Any] | None = None
) -> list[Violation]:
    """Every finding of the pack over what `program` declares."""
    return analyze(capture(program, preview=preview).resources, pack_config)


def findings(violations: list[Violation], policy: str) -> list[Violation]:
    """The findings of one policy (unknown-value notes excluded: they are not violations)."""
    return [v for v in violations if v.policy == policy and "can't run policy" not in v.message]


def notes(violations: list[Violation], policy: str) -> list[Violation]:
    """The engine's "can't run policy during preview" notes of one policy."""
    return [v for v in violations if v.policy == policy and "can't run policy" in v.message]


def assert_one_mandatory(found: list[Violation], urn_suffix: str, phrase: str) -> None:
    """Exactly one mandatory finding, on the resource named by `urn_suffix`, saying `phrase`."""
    assert len(found) == 1, found
    assert found[0].level == "mandatory"
    assert found[0].urn.endswith(urn_suffix), found[0].urn
    assert phrase in found[0].message, found[0].message


def findings_once(program: Callable[[], None], policy: str) -> Callable[[bool], list[Violation]]:
    """`found(preview)`: the findings of `policy` over `program`, evaluated once per mode, for a program that holds
    several cases at once (one finding each)."""

    @functools.cache
    def found(preview: bool) -> list[Violation]:
        return findings(evaluate(program, preview=preview), policy)

    return found


def with_urn(found: list[Violation], urn_suffix: str) -> list[Violation]:
    """The findings on the resource named by `urn_suffix` (programs that hold several cases at once)."""
    return [v for v in found if v.urn.endswith(urn_suffix)]


def assert_one_case(found: list[Violation], urn_suffix: str, phrase: str) -> list[Violation]:
    """Among the findings of a program holding several cases: exactly one mandatory finding on the resource named by
    `urn_suffix`, saying `phrase`. Returns it (as a list) for checks of the caller's own."""
    mine = with_urn(found, urn_suffix)
    assert_one_mandatory(mine, urn_suffix, phrase)
    return mine


def case_tests(program: Callable[[], None], policy: str,
               cases: Mapping[str, tuple[str, str]]) -> tuple[Callable[..., None], Callable[..., None]]:
    """The two tests of a program that breaks `policy` once per case (case -> URN suffix, phrase), evaluated once per
    mode: every case is exactly one mandatory finding on its resource, saying its phrase; and there is no other.
    A module names them: `test_x_is_violation, test_one_finding_per_x = case_tests(_violating, POLICY, CASES)`."""
    found = findings_once(program, policy)

    @pytest.mark.parametrize("preview", [True, False])
    @pytest.mark.parametrize("case", sorted(cases))
    def test_case_is_violation(preview: bool, case: str) -> None:
        assert_one_case(found(preview), *cases[case])

    @pytest.mark.parametrize("preview", [True, False])
    def test_one_finding_per_case(preview: bool) -> None:
        assert len(found(preview)) == len(cases)

    return test_case_is_violation, test_one_finding_per_case
