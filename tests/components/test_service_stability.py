"""Services are keyed by name: reordering, adding or removing one never touches the others."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from tests.components.plans import ROOT, plan_copy

BASE = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())
NEW_SERVICE = {"name": "ledger-api", "image": {"repository": "payments-api", "tag": "9.9.9"}, "cpu": 256,
               "memory": 512, "port": 8080, "routes": {"paths": ["/ledger/*"]}, "capacity": {"base": 2, "max": 3}}


def plan_services(tmp_path: Path, services: list[dict[str, Any]], tag: str) -> dict[str, dict]:
    def use(config: dict[str, Any]) -> None:
        config["connect:services"] = copy.deepcopy(services)

    return plan_copy(tmp_path, tag, use)


def services_of(doc: dict) -> list[dict[str, Any]]:
    return list(doc["config"]["connect:services"])


def test_reordering_services_changes_nothing(tmp_path: Path) -> None:
    forward = plan_services(tmp_path, services_of(BASE), "forward")
    backward = plan_services(tmp_path, list(reversed(services_of(BASE))), "backward")
    assert forward == backward  # same URNs, same inputs: same priorities and target group prefixes


def test_adding_a_service_changes_no_existing_resource(tmp_path: Path) -> None:
    before = plan_services(tmp_path, services_of(BASE), "before")
    after = plan_services(tmp_path, [*services_of(BASE), NEW_SERVICE], "after")
    assert set(before) < set(after)
    changed = [u for u in before if after[u]["inputs"] != before[u]["inputs"]]
    assert changed == []
    added = {r["name"] for u, r in after.items() if u not in before}
    assert "platform-ledger-api-service" in added and "platform-ledger-api-tg" in added


def test_removing_a_service_removes_only_its_own_and_retains_its_logs(tmp_path: Path) -> None:
    before = plan_services(tmp_path, services_of(BASE), "before")
    after = plan_services(tmp_path, [s for s in services_of(BASE) if s["name"] != "accounts-api"], "after")
    removed = {u: before[u] for u in before if u not in after}
    assert removed and all("accounts-api" in r["name"] for r in removed.values())
    # the scan rules stop watching its repository (no other service pulls from it); nothing else changes
    changed = {after[u]["name"] for u in after if after[u]["inputs"] != before[u]["inputs"]}
    assert changed == {"alerts-ecr-scan", "alerts-inspector-scan"}
    for name in changed:
        (rule,) = [r for r in after.values() if r["name"] == name]
        assert "accounts-api" not in rule["inputs"]["eventPattern"]
    types = {r["type"] for r in removed.values()}
    assert {"aws:ecs/service:Service", "aws:lb/listenerRule:ListenerRule", "aws:lb/targetGroup:TargetGroup"} <= types
    log_groups = [r for r in removed.values() if r["type"] == "aws:cloudwatch/logGroup:LogGroup"]
    assert len(log_groups) == 2  # the service's, and its standby's in the DR region
    # its logs outlive the service; not protected, which would block the removal itself
    assert all(g["retainOnDelete"] and not g["protect"] for g in log_groups)
