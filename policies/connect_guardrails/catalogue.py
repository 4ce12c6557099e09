"""The pack's rules, in catalogue order. Adding a rule = one module in `rules/` plus one line here."""

from __future__ import annotations

from pulumi_policy import Policy

from connect_guardrails import PACK_NAME, PACK_VERSION, integrity
from connect_guardrails.rule import Rule
from connect_guardrails.rules import (
    alb_access_logs,
    alb_hardening,
    alb_internal_only,
    alb_tls_listeners,
    allowed_resource_types,
    audit_trail_integrity,
    backup_cross_region_copy,
    backup_plan_baseline,
    backup_vault_encrypted_locked,
    data_access_recorded,
    data_store_dr_replication,
    data_store_egress_contained,
    data_store_encrypted,
    data_store_no_public_access,
    data_store_tls_only,
    database_audit_logging,
    decommission_keeps_recovery_points,
    default_sg_closed,
    dns_private_only,
    dr_reachable,
    dr_region_self_contained,
    ecr_dr_replication,
    ecr_immutable_tags,
    ecr_kms_encryption,
    ecr_lifecycle_policy,
    ecr_scan_on_push,
    ecs_container_insights,
    ecs_container_logging,
    ecs_deployment_safety,
    ecs_images_from_tenant_registry,
    ecs_no_plaintext_secrets,
    ecs_service_autoscaling,
    ecs_service_no_public_ip,
    ecs_task_no_privileged,
    ecs_task_readonly_rootfs,
    eip_nat_only,
    fargate_only,
    iam_no_privilege_escalation,
    iam_no_wildcard_admin,
    iam_trust_tenant_scoped,
    iam_workload_least_privilege,
    kms_key_rotation,
    log_group_encrypted_retained,
    nacl_no_world_admin_ports,
    no_cross_tenant_sharing,
    no_public_compute,
    private_egress_via_nat,
    private_subnets_only,
    sg_descriptions,
    sg_no_world_ingress,
    stateful_resources_protected,
    subnet_no_auto_public_ip,
    tenant_single_account,
    tenant_tags,
    vpc_endpoints_for_platform,
    vpc_flow_logs,
    vpn_alarmed,
    vpn_strong_crypto,
    vpn_tunnel_logging,
)

RULES: list[Rule] = [
    # Tenant isolation: no shared resources (unwaivable)
    tenant_single_account.RULE,
    tenant_tags.RULE,
    no_cross_tenant_sharing.RULE,
    # Design: only the resource types the platform uses (everything else refused until a rule judges it)
    allowed_resource_types.RULE,
    # Registry
    ecr_scan_on_push.RULE,
    ecr_immutable_tags.RULE,
    ecr_lifecycle_policy.RULE,
    ecr_kms_encryption.RULE,
    ecr_dr_replication.RULE,
    # Private subnets only
    private_subnets_only.RULE,
    subnet_no_auto_public_ip.RULE,
    ecs_service_no_public_ip.RULE,
    alb_internal_only.RULE,
    eip_nat_only.RULE,
    private_egress_via_nat.RULE,
    no_public_compute.RULE,
    fargate_only.RULE,
    dns_private_only.RULE,
    # Network hygiene
    vpc_flow_logs.RULE,
    default_sg_closed.RULE,
    sg_no_world_ingress.RULE,
    sg_descriptions.RULE,
    nacl_no_world_admin_ports.RULE,
    vpc_endpoints_for_platform.RULE,
    # Client connectivity (VPN)
    vpn_tunnel_logging.RULE,
    vpn_strong_crypto.RULE,
    vpn_alarmed.RULE,
    # Load balancer
    alb_tls_listeners.RULE,
    alb_access_logs.RULE,
    alb_hardening.RULE,
    # Containers
    ecs_task_no_privileged.RULE,
    ecs_images_from_tenant_registry.RULE,
    ecs_task_readonly_rootfs.RULE,
    ecs_no_plaintext_secrets.RULE,
    ecs_container_logging.RULE,
    ecs_container_insights.RULE,
    ecs_service_autoscaling.RULE,
    ecs_deployment_safety.RULE,
    # Keys, logs, backups, DR
    kms_key_rotation.RULE,
    log_group_encrypted_retained.RULE,
    audit_trail_integrity.RULE,
    backup_cross_region_copy.RULE,
    backup_plan_baseline.RULE,
    backup_vault_encrypted_locked.RULE,
    data_store_encrypted.RULE,
    data_store_no_public_access.RULE,
    data_store_tls_only.RULE,
    data_store_egress_contained.RULE,
    data_store_dr_replication.RULE,
    data_access_recorded.RULE,
    database_audit_logging.RULE,
    dr_region_self_contained.RULE,
    dr_reachable.RULE,
    decommission_keeps_recovery_points.RULE,
    # Identity and data safety
    iam_no_wildcard_admin.RULE,
    iam_workload_least_privilege.RULE,
    iam_no_privilege_escalation.RULE,
    iam_trust_tenant_scoped.RULE,
    stateful_resources_protected.RULE,
]

__all__ = ["PACK_NAME", "PACK_VERSION", "RULES", "policies"]


def policies() -> list[Policy]:
    """The `pulumi_policy` policies for `PolicyPack(...)`: the rules, then the integrity policies, which
    must run last because they read what the rules noted (`integrity.py`)."""
    return [rule.policy() for rule in RULES] + integrity.policies(
        (rule.id, rule.kind) for rule in RULES if rule.unwaivable)
