"""The pack's rules, in catalogue order. Adding a rule = one module in `rules/` plus one line here."""

from __future__ import annotations

from pulumi_policy import Policy

from connect_guardrails import PACK_NAME, PACK_VERSION
from connect_guardrails.rule import Rule
from connect_guardrails.rules import subnet_no_auto_public_ip

RULES: list[Rule] = [
    subnet_no_auto_public_ip.RULE,
]

__all__ = ["PACK_NAME", "PACK_VERSION", "RULES", "policies"]


def policies() -> list[Policy]:
    """The `pulumi_policy` policies for `PolicyPack(...)`."""
    return [rule.policy() for rule in RULES]
