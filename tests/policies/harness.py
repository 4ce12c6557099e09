"""Run a small Pulumi program through the offline engine and the real pack, return the findings.

Rule tests use real resource registrations (not hand-built policy args), so what a rule sees is
what the engine would show it: inputs for resource policies, outputs, parents and property
dependencies for stack policies, unknowns in preview.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def registered_for_module(rule: Any) -> Any:
    """An autouse fixture that puts `rule` in the pack's catalogue for the module's tests, whether or not
    `catalogue.py` lists it yet: `registered = registered_for_module(RULE)`."""

    @pytest.fixture(autouse=True, scope="module")
    def registered() -> Iterator[None]:
        added = rule not in catalogue.RULES
        if added:
            catalogue.RULES.append(rule)
        yield
        if added:
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
