"""The pack's rules, in catalogue order. Adding a rule = one module in `rules/` plus one line here."""

from __future__ import annotations

from pulumi_policy import Policy

from connect_guardrails import PACK_NAME, PACK_VERSION
from connect_guardrails.rule import Rule
from connect_guardrails.rules import (
    default_sg_closed,
    eip_nat_only,
    kms_key_rotation,
    log_group_encrypted_retained,
    no_cross_tenant_sharing,
    private_egress_via_nat,
    sg_no_world_ingress,
    stateful_resources_protected,
    subnet_no_auto_public_ip,
    tenant_single_account,
    tenant_tags,
    vpc_flow_logs,
)

RULES: list[Rule] = [
    # Tenant isolation (unwaivable)
    tenant_single_account.RULE,
    tenant_tags.RULE,
    no_cross_tenant_sharing.RULE,
    # Private subnets only
    subnet_no_auto_public_ip.RULE,
    eip_nat_only.RULE,
    private_egress_via_nat.RULE,
    # Network hygiene
    vpc_flow_logs.RULE,
    default_sg_closed.RULE,
    sg_no_world_ingress.RULE,
    # Keys, logs, backups, DR
    kms_key_rotation.RULE,
    log_group_encrypted_retained.RULE,
    # Identity and data safety
    stateful_resources_protected.RULE,
]

__all__ = ["PACK_NAME", "PACK_VERSION", "RULES", "policies"]


def policies() -> list[Policy]:
    """The `pulumi_policy` policies for `PolicyPack(...)`."""
    return [rule.policy() for rule in RULES]
