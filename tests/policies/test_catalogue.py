"""The catalogue: complete metadata, stable ids in catalogue order, one module per rule, a safe entry point."""

from __future__ import annotations

import importlib
import pkgutil
import re
import runpy
from pathlib import Path

import pulumi_policy
import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from connect_guardrails import catalogue, rules
from connect_guardrails.rule import LEVELS, SEVERITIES, Rule

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
# The catalogue ids (guardrails.md) the pack implements, in catalogue order. A new rule adds its id here.
EXPECTED_IDS = [  # guardrails.md order
    "tenant-single-account",
    "tenant-tags",
    "no-cross-tenant-sharing",
    "ecr-scan-on-push",
    "ecr-immutable-tags",
    "ecr-lifecycle-policy",
    "ecr-kms-encryption",
    "ecr-dr-replication",
    "private-subnets-only",
    "subnet-no-auto-public-ip",
    "ecs-service-no-public-ip",
    "alb-internal-only",
    "eip-nat-only",
    "private-egress-via-nat",
    "no-public-compute",
    "vpc-flow-logs",
    "default-sg-closed",
    "sg-no-world-ingress",
    "sg-descriptions",
    "nacl-no-world-admin-ports",
    "vpc-endpoints-for-platform",
    "vpn-tunnel-logging",
    "vpn-strong-crypto",
    "vpn-alarmed",
    "alb-tls-listeners",
    "alb-access-logs",
    "alb-hardening",
    "ecs-task-no-privileged",
    "ecs-task-readonly-rootfs",
    "ecs-no-plaintext-secrets",
    "ecs-container-logging",
    "ecs-container-insights",
    "ecs-service-autoscaling",
    "ecs-deployment-safety",
    "kms-key-rotation",
    "log-group-encrypted-retained",
    "backup-cross-region-copy",
    "backup-plan-baseline",
    "backup-vault-encrypted-locked",
    "data-store-encrypted",
    "data-store-no-public-access",
    "data-store-tls-only",
    "data-store-dr-replication",
    "iam-no-wildcard-admin",
    "iam-trust-tenant-scoped",
    "stateful-resources-protected",
]
UNWAIVABLE = {"tenant-single-account", "tenant-tags", "no-cross-tenant-sharing", "subnet-no-auto-public-ip",
              "ecs-service-no-public-ip"}
UNWAIVABLE |= {"ecr-scan-on-push", "private-subnets-only", "alb-internal-only"}
ANCHOR = re.compile(r"^(FSBP|NAG|CKV2?_AWS)[ _][\w.*/ -]+$")


def test_ids_are_unique_and_match_the_catalogue() -> None:
    ids = [rule.id for rule in catalogue.RULES]
    assert len(ids) == len(set(ids))
    assert ids == EXPECTED_IDS


@pytest.mark.parametrize("rule", catalogue.RULES, ids=lambda r: r.id)
def test_rule_metadata_is_complete(rule: Rule) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.id)
    assert rule.description.strip() and rule.description.endswith(".")
    assert rule.remediation.strip() and len(rule.remediation) > 30
    assert rule.kind in ("resource", "stack")
    assert rule.level in LEVELS and rule.severity in SEVERITIES
    assert rule.owner in ("operator", "client")
    assert isinstance(rule.anchors, tuple) and all(ANCHOR.match(a) for a in rule.anchors)
    assert rule.unwaivable is (rule.id in UNWAIVABLE)
    assert callable(rule.check) and rule.check.__doc__
    for name, spec in rule.config.items():
        assert spec.get("type") in ("string", "integer", "boolean", "number", "array", "object"), name
        assert spec.get("description"), name
    policy = rule.policy()
    assert isinstance(policy, ResourceValidationPolicy if rule.kind == "resource" else StackValidationPolicy)
    assert rule.metadata()["id"] == rule.id


def test_one_module_per_rule() -> None:
    modules = sorted(m.name for m in pkgutil.iter_modules(rules.__path__))
    assert modules == sorted(rule.id.replace("-", "_") for rule in catalogue.RULES)
    for rule in catalogue.RULES:
        module = importlib.import_module(f"connect_guardrails.rules.{rule.id.replace('-', '_')}")
        assert module.RULE is rule
        assert module.__doc__ and module.__doc__.startswith(f"{rule.id}:")


def test_pack_imports_nothing_from_the_program() -> None:
    for path in (PACK_DIR / "connect_guardrails").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(components|connectctl)\b", source, re.MULTILINE), path


def test_entry_point_imports_without_starting_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("PolicyPack was constructed on import")

    monkeypatch.setattr(pulumi_policy, "PolicyPack", refuse)
    monkeypatch.syspath_prepend(str(PACK_DIR))
    namespace = runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="connect_guardrails_entry")
    assert "PolicyPack" not in namespace


def test_pack_readme_is_current() -> None:
    """policies/README.md is the catalogue as the rules describe themselves (regenerate when stale)."""
    from pathlib import Path

    from connect_guardrails.docs import render

    committed = (Path(__file__).resolve().parents[2] / "policies" / "README.md").read_text()
    assert committed == render(), "run: python policies/connect_guardrails/docs.py > policies/README.md"
