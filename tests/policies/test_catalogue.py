"""The catalogue: complete metadata, stable ids in catalogue order, one module per rule, a safe entry point.

Also the control mapping: every rule names at least one ISO/IEC 27001:2022 Annex A and one CSA CCM v4
control, each listed in `controls.py` with its title, and every listed control is either supported by
a rule or a deliberate gap with its reason.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import runpy
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from connect_guardrails import catalogue, controls, rules
from connect_guardrails.rule import LEVELS, SEVERITIES, Rule, applies_to

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
# The catalogue ids (guardrails.md) the pack implements, in catalogue order. A new rule adds its id here.
EXPECTED_IDS = [  # guardrails.md order
    "tenant-single-account",
    "tenant-tags",
    "no-cross-tenant-sharing",
    "allowed-resource-types",
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
    "fargate-only",
    "dns-private-only",
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
    "ecs-images-from-tenant-registry",
    "ecs-task-readonly-rootfs",
    "ecs-no-plaintext-secrets",
    "ecs-container-logging",
    "ecs-container-insights",
    "ecs-service-autoscaling",
    "ecs-deployment-safety",
    "kms-key-rotation",
    "log-group-encrypted-retained",
    "audit-trail-integrity",
    "backup-cross-region-copy",
    "backup-plan-baseline",
    "backup-vault-encrypted-locked",
    "data-store-encrypted",
    "data-store-no-public-access",
    "data-store-tls-only",
    "data-store-egress-contained",
    "data-store-dr-replication",
    "data-access-recorded",
    "database-audit-logging",
    "dr-region-self-contained",
    "dr-reachable",
    "decommission-keeps-recovery-points",
    "iam-no-wildcard-admin",
    "iam-workload-least-privilege",
    "iam-no-privilege-escalation",
    "iam-trust-tenant-scoped",
    "stateful-resources-protected",
]
UNWAIVABLE = {"tenant-single-account", "tenant-tags", "no-cross-tenant-sharing", "subnet-no-auto-public-ip",
              "ecs-service-no-public-ip"}
UNWAIVABLE |= {"ecr-scan-on-push", "private-subnets-only", "alb-internal-only"}
UNWAIVABLE |= {"iam-no-privilege-escalation"}
ANCHOR = re.compile(r"^(FSBP|NAG|CKV2?_AWS)[ _][\w.*/ -]+$")
# The frameworks' shapes, to catch a mistyped id: ISO/IEC 27001:2022 Annex A has 93 controls in themes
# 5-8 (37, 8, 14, 34); CCM v4 has 197 in 17 domains (controls per domain).
ISO_THEMES = {5: 37, 6: 8, 7: 14, 8: 34}
CCM_DOMAINS = {"A&A": 6, "AIS": 7, "BCR": 11, "CCC": 9, "CEK": 21, "DCS": 15, "DSP": 19, "GRC": 8, "HRS": 13,
               "IAM": 16, "IPY": 4, "IVS": 9, "LOG": 13, "SEF": 8, "STA": 14, "TVM": 10, "UEM": 14}
# Titles checked against the published frameworks, pinned so an edit cannot drift from them.
KNOWN_TITLES = {
    ("iso27001", "A.5.23"): "Information security for use of cloud services",
    ("iso27001", "A.5.30"): "ICT readiness for business continuity",
    ("iso27001", "A.8.13"): "Information backup",
    ("iso27001", "A.8.20"): "Networks security",
    ("iso27001", "A.8.22"): "Segregation of networks",
    ("iso27001", "A.8.24"): "Use of cryptography",
    ("ccm", "BCR-08"): "Backup",
    ("ccm", "CEK-03"): "Data Encryption",
    ("ccm", "IVS-03"): "Network Security",
    ("ccm", "IVS-06"): "Segmentation and Segregation",
    ("ccm", "LOG-08"): "Log Records",
    ("ccm", "TVM-07"): "Vulnerability Identification",
}


def test_ids_are_unique_and_match_the_catalogue() -> None:
    ids = [rule.id for rule in catalogue.RULES]
    assert len(ids) == len(set(ids))
    assert ids == EXPECTED_IDS


def test_a_resource_check_left_with_the_default_stack_kind_is_refused() -> None:
    @applies_to("aws:s3/bucket:Bucket")
    def check(args: Any, report_violation: Any) -> None:
        """Nothing."""

    with pytest.raises(ValueError, match="kind='resource'"):
        Rule(id="x", description="X.", severity="low", remediation="r" * 40, check=check)
    assert Rule(id="x", description="X.", severity="low", remediation="r" * 40, check=check, kind="resource")


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


@pytest.mark.parametrize("rule", catalogue.RULES, ids=lambda r: r.id)
def test_rule_maps_to_listed_controls_of_both_frameworks(rule: Rule) -> None:
    assert rule.iso27001 and rule.ccm, "every rule supports at least one ISO and one CCM control"
    for framework, ids in rule.controls.items():
        assert len(ids) == len(set(ids)), f"{framework} control listed twice"
        for control_id in ids:
            control = controls.BY_ID.get((framework, control_id))
            assert control is not None, f"{framework} {control_id} is not in connect_guardrails/controls.py"
            assert not control.gap, f"{control_id} is listed as a gap ({control.gap}) but {rule.id} supports it"
    assert rule.metadata()["controls"] == {"iso27001": list(rule.iso27001), "ccm": list(rule.ccm)}


def test_controls_catalogue_names_real_controls_once() -> None:
    keys = [(c.framework, c.id) for c in controls.CONTROLS]
    assert len(keys) == len(set(keys)) == len(controls.BY_ID)
    for control in controls.CONTROLS:
        assert control.framework in controls.FRAMEWORKS
        assert control.title.strip() and control.title == control.title.strip()
        if control.framework == "iso27001":
            match = re.fullmatch(r"A\.([5-8])\.([1-9]\d?)", control.id)
            assert match and int(match[2]) <= ISO_THEMES[int(match[1])], control.id
        else:
            match = re.fullmatch(r"([A-Z&]{3})-(\d\d)", control.id)
            assert match and match[1] in CCM_DOMAINS and 1 <= int(match[2]) <= CCM_DOMAINS[match[1]], control.id
    for key, title in KNOWN_TITLES.items():
        assert controls.BY_ID[key].title == title


def test_every_listed_control_is_supported_or_a_deliberate_gap() -> None:
    """A control no rule supports must say why (a gap); one that rules support must not carry a gap reason."""
    supported = {(framework, c) for rule in catalogue.RULES for framework, ids in rule.controls.items() for c in ids}
    for control in controls.CONTROLS:
        key = (control.framework, control.id)
        assert (key in supported) != bool(control.gap), f"{control.id}: supported and gap must not agree"
    gaps = {c.framework for c in controls.CONTROLS if c.gap}
    assert gaps == set(controls.FRAMEWORKS), "each framework lists its gaps"
    assert "not a certification" in controls.MAPPING_NOTE


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
