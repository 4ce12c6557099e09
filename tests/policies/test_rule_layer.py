"""The declarative layer of `rule.py`: a rule declared with `applies_to` runs on its types only."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs

from connect_guardrails.catalogue import RULES
from connect_guardrails.rule import applies_to

TYPED = [rule for rule in RULES if rule.resource_types is not None]


class Untouchable:
    """Props that fail on any read: a rule passing over a resource must not look at it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"read {name}")

    def __getitem__(self, key: Any) -> Any:
        raise AssertionError(f"read {key}")


class Args:
    def __init__(self, resource_type: str) -> None:
        self.resource_type, self.name, self.urn = resource_type, "other", "urn:other"
        self.props: Any = Untouchable()
        self.provider = None

    def get_config(self) -> dict[str, Any]:
        raise AssertionError("read config")


def test_the_type_guarded_rules_declare_their_types() -> None:
    assert len(TYPED) >= 20
    assert all(rule.kind == "resource" and rule.resource_types for rule in TYPED)


@pytest.mark.parametrize("rule", TYPED, ids=lambda r: r.id)
def test_a_rule_passes_over_other_types_without_a_read(rule: Any) -> None:
    found: list[str] = []
    rule.check(Args("aws:none/other:Other"), lambda message, urn=None: found.append(message))
    assert found == []


def test_applies_to_keeps_the_check_and_its_doc() -> None:
    seen: list[str] = []

    @applies_to("a:b:C", "a:b:D")
    def check(args: ResourceValidationArgs, report_violation: Any) -> None:
        """The decision."""
        seen.append(args.resource_type)

    for type_ in ("a:b:C", "a:b:E", "a:b:D"):
        check(Args(type_), print)  # type: ignore[arg-type]
    assert seen == ["a:b:C", "a:b:D"]
    assert check.__doc__ == "The decision."
    assert check.resource_types == frozenset({"a:b:C", "a:b:D"})  # type: ignore[attr-defined]
