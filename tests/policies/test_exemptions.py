"""Per-rule exemptions in the pack config: valid ones suppress a finding (reported as "exempt" by connectctl),
invalid ones and ones of unwaivable rules never do and are findings of the integrity policy "exemptions"."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pulumi_aws as aws
import pytest

from connect_guardrails import exemptions, integrity
from connectctl.check import CheckResult
from connectctl.engine.analyzer import (
    PackConfigError,
    Violation,
    analyze_via_servicer,
    effective_config,
    load_pack,
    load_pack_config,
)
from connectctl.reports import as_json, as_junit, as_sarif
from tests.policies.harness import TAGS, capture, evaluate, findings, pinned, provider

POLICY = "alb-access-logs"
UNWAIVABLE = "subnet-no-auto-public-ip"
ALB_URN = "urn:pulumi:test::connect::aws:lb/loadBalancer:LoadBalancer::alb"
REASON = "internal test balancer, logs off until OPS-12 lands"


def _alb() -> None:
    p = provider()
    aws.lb.LoadBalancer("alb", internal=True, load_balancer_type="application",
                        subnets=["subnet-0a1b2c3d4e5f60718"], tags=TAGS, opts=pinned(p))


def _public_subnet() -> None:
    p = provider()
    vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16", tags=TAGS, opts=pinned(p))
    aws.ec2.Subnet("app-a", vpc_id=vpc.id, cidr_block="10.0.0.0/20", availability_zone="us-east-1a",
                   map_public_ip_on_launch=True, tags=TAGS, opts=pinned(p))


def _exemption(**overrides: Any) -> dict[str, Any]:
    return {"resource": "al*", "reason": REASON, "expires": "2027-03-31", "ticket": "OPS-12", **overrides}


def _config(policy: str = POLICY, **overrides: Any) -> dict[str, Any]:
    return {policy: {"exemptions": [_exemption(**overrides)]}}


def _hygiene(found: list[Violation], level: str) -> list[Violation]:
    return [v for v in found if v.policy in integrity.NAMES and v.level == level]


def _detail(violation: Violation) -> str:
    """The message without the policy's description line."""
    return violation.message.split("\n", 1)[1]


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(exemptions.TODAY_ENV, "2027-01-15")


@pytest.mark.parametrize("preview", [True, False])
def test_without_exemption_the_finding_is_mandatory(preview: bool) -> None:
    found = evaluate(_alb, preview=preview)
    assert [v.level for v in findings(found, POLICY)] == ["mandatory"]
    assert [v for v in found if v.policy == "exemptions"] == []


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize("resource", ["al*", "alb", ALB_URN, "urn:pulumi:*::aws:lb/*::alb"],
                         ids=["name-glob", "name", "urn", "urn-glob"])
def test_valid_exemption_suppresses_the_finding(preview: bool, resource: str) -> None:
    found = evaluate(_alb, preview=preview, pack_config=_config(resource=resource))
    (exempt,) = findings(found, POLICY)
    assert exempt.level == "exempt"
    assert exempt.urn == ALB_URN
    assert exempt.severity != "unspecified" and exempt.owner in ("operator", "client")
    assert exempt.message.endswith(f" [exempt: {REASON} (ticket OPS-12, expires 2027-03-31)]")
    assert "accessLogs" in exempt.message
    assert [v for v in found if v.policy == "exemptions"] == []
    assert exemptions.RECORDED == []  # read and cleared by the analyzer


@pytest.mark.parametrize("preview", [True, False])
def test_exemption_without_ticket(preview: bool) -> None:
    config = {POLICY: {"exemptions": [{"resource": "alb", "reason": REASON, "expires": "2027-03-31"}]}}
    (exempt,) = findings(evaluate(_alb, preview=preview, pack_config=config), POLICY)
    assert exempt.message.endswith(f" [exempt: {REASON} (expires 2027-03-31)]")


@pytest.mark.parametrize("preview", [True, False])
def test_exemption_expiring_today_still_holds(preview: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(exemptions.TODAY_ENV, "2027-03-31")
    found = evaluate(_alb, preview=preview, pack_config=_config())
    assert [v.level for v in findings(found, POLICY)] == ["exempt"]


@pytest.mark.parametrize("preview", [True, False])
@pytest.mark.parametrize(("overrides", "today", "problem"), [
    ({"reason": "too short!"}, "2027-01-15", "reason is shorter than 20 characters"),
    ({}, "2027-04-01", "expired on 2027-03-31"),
    ({"expires": "31/03/2027"}, "2027-01-15", "is not a YYYY-MM-DD date"),
], ids=["short-reason", "expired", "unparseable-expiry"])
def test_invalid_exemption_does_not_suppress(preview: bool, overrides: dict[str, Any], today: str, problem: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(exemptions.TODAY_ENV, today)
    found = evaluate(_alb, preview=preview, pack_config=_config(**overrides))
    assert [v.level for v in findings(found, POLICY)] == ["mandatory"]
    (hygiene,) = _hygiene(found, "mandatory")
    assert _detail(hygiene).startswith(f"{POLICY}: the exemption for 'al*' is not applied: ")
    assert problem in hygiene.message
    assert (hygiene.owner, hygiene.severity, hygiene.urn) == ("operator", "high", "")
    assert _hygiene(found, "advisory") == []


@pytest.mark.parametrize("preview", [True, False])
def test_unwaivable_rule_cannot_be_exempted(preview: bool) -> None:
    found = evaluate(_public_subnet, preview=preview, pack_config=_config(UNWAIVABLE, resource="app-*"))
    assert [v.level for v in findings(found, UNWAIVABLE)] == ["mandatory"]
    (hygiene,) = _hygiene(found, "mandatory")
    assert _detail(hygiene) == f"{UNWAIVABLE}: the exemption for 'app-*' is not applied: the rule is unwaivable."


@pytest.mark.parametrize("preview", [True, False])
def test_exemption_matching_nothing_is_advisory(preview: bool) -> None:
    found = evaluate(_alb, preview=preview, pack_config=_config(resource="platform-*"))
    assert [v.level for v in findings(found, POLICY)] == ["mandatory"]
    assert _hygiene(found, "mandatory") == []
    (hygiene,) = _hygiene(found, "advisory")
    assert _detail(hygiene) == f"{POLICY}: the exemption for 'platform-*' matched no finding; remove it."
    assert hygiene.policy == integrity.UNUSED
    assert (hygiene.owner, hygiene.severity) == ("operator", "low")


def test_schema_requires_a_resource() -> None:
    exemption = _exemption()
    del exemption["resource"]
    with pytest.raises(PackConfigError, match=f"{POLICY}.exemptions.0: 'resource' is a required property"):
        effective_config(load_pack(), {POLICY: {"exemptions": [exemption]}})


@pytest.mark.parametrize(("field", "problem"), [("reason", "reason is shorter than 20 characters"),
                                                ("expires", "expires is missing")])
def test_missing_reason_or_expiry_is_a_mandatory_finding(field: str, problem: str) -> None:
    """Not a config error that stops the run: the pack reports it, so the rest of the verdict is still seen."""
    exemption = _exemption()
    del exemption[field]
    found = evaluate(_alb, preview=False, pack_config={POLICY: {"exemptions": [exemption]}})
    assert [v.level for v in findings(found, POLICY)] == ["mandatory"]
    (hygiene,) = _hygiene(found, "mandatory")
    assert _detail(hygiene) == f"{POLICY}: the exemption for 'al*' is not applied: {problem}."


@pytest.mark.parametrize(("config", "message"), [
    ({UNWAIVABLE: "advisory"}, f"{UNWAIVABLE}: enforcementLevel 'advisory'; this policy is unwaivable and stays "
                               "mandatory"),
    ({UNWAIVABLE: {"enforcementLevel": "disabled"}}, f"{UNWAIVABLE}: enforcementLevel 'disabled'"),
    ({"exemptions": "advisory"}, "exemptions: enforcementLevel 'advisory'; this policy is unwaivable"),
    ({"exempted-findings": "mandatory"}, "exempted-findings: enforcementLevel 'mandatory'; this policy is "
                                         "unwaivable and stays advisory"),
    ({"all": "advisory"}, "all: not accepted"),
    ({"exemptions-unused": {"x": 1}}, "exemptions-unused: takes only enforcementLevel"),
])
def test_config_cannot_switch_off_unwaivable_policies(config: dict[str, Any], message: str, tmp_path: Path) -> None:
    path = tmp_path / "policy.acme-prod.json"
    path.write_text(json.dumps(config))
    with pytest.raises(PackConfigError, match=re.escape(message)):
        effective_config(load_pack(), load_pack_config(path))


def test_waivable_levels_and_unused_note_can_change(tmp_path: Path) -> None:
    path = tmp_path / "policy.acme-prod.json"
    path.write_text(json.dumps({POLICY: "disabled", "exemptions-unused": "disabled", UNWAIVABLE: "remediate"}))
    configured = effective_config(load_pack(), load_pack_config(path))
    assert configured[POLICY].enforcementLevel == configured["exemptions-unused"].enforcementLevel


def test_schema_rejects_unknown_fields() -> None:
    with pytest.raises(PackConfigError, match="Additional properties"):
        effective_config(load_pack(), _config(owner="me"))


def test_every_rule_accepts_exemptions() -> None:
    catalogue = load_pack()
    config = {rule.id: {"exemptions": [_exemption()]} for rule in catalogue.RULES}
    assert set(effective_config(catalogue, config)) == {rule.id for rule in catalogue.RULES} | set(integrity.NAMES)
    for rule in catalogue.RULES:
        schema = rule.policy().config_schema
        assert schema is not None and schema.properties["exemptions"] == exemptions.SCHEMA


@pytest.mark.parametrize("preview", [True, False])
def test_sdk_servicer_suppresses_exempted_findings(preview: bool) -> None:
    """The wrapper lives in the policy itself: the SDK's servicer (as the engine runs it) suppresses the
    finding, and reads the same as the fast path (exempt under its rule)."""
    resources = capture(_alb, preview=preview).resources
    assert [v.level for v in findings(analyze_via_servicer(resources), POLICY)] == ["mandatory"]
    via_servicer = analyze_via_servicer(resources, _config())
    assert [v.level for v in findings(via_servicer, POLICY)] == ["exempt"]
    assert sorted(via_servicer, key=str) == sorted(evaluate(_alb, preview=preview, pack_config=_config()), key=str)
    short = analyze_via_servicer(resources, _config(reason="too short!"))
    assert [v.level for v in findings(short, POLICY)] == ["mandatory"]


def test_reports_show_exempt_findings() -> None:
    resources = capture(_alb, preview=False).resources
    violations = evaluate(_alb, preview=False, pack_config=_config())
    result = CheckResult(project="connect", stack="test", source="state", source_file="state.json",
                         resources=resources, violations=violations, pack_config=_config())
    assert len(result.exempt) == 1
    summary = as_json(result)["summary"]
    assert summary["exempt"] == 1 and summary["mandatory"] == len(result.mandatory)
    assert POLICY not in {v.policy for v in result.mandatory}
    (sarif,) = [r for r in as_sarif(result)["runs"][0]["results"] if r["ruleId"] == POLICY]
    assert sarif["level"] == "note"
    assert sarif["suppressions"] == [{"kind": "external", "justification": REASON}]
    root = ET.fromstring(as_junit(result).split("\n", 1)[1])
    (case,) = [c for c in root.iter("testcase") if c.get("classname", "").endswith(f".{POLICY}")]
    assert case.find("failure") is None
    out = case.find("system-out")
    assert out is not None and out.text is not None and out.text.startswith("[exempt] ") and REASON in out.text
