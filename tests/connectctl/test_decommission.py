"""Decommissioning as a state of the stack file (issue #18, part 2): `connect:tenant.lifecycle: decommissioning`.

acme-prod is planned as committed (active) and as a copy in decommissioning (notice until 2026-12-31), during the
notice and after it (`CONNECT_NOW`), and the plans are compared as `connectctl diff` compares them: the compute
and traffic path go, nothing stateful is deleted or replaced. `connectctl decommission` is checked against hand
arithmetic from data/prices.yaml and the stack file. Plans are cached by file content and clock.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components.clock import NOW_ENV
from components.config import StackConfigError, parse_stack_config
from connectctl import cli
from connectctl import decommission as decommission_module
from connectctl.diff import Action, StackDiff, diff_plans
from connectctl.plan import Plan
from connectctl.pricing import load_prices
from tests.components.plans import cached_plan_stack

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
NOTICE = "2026-12-31"
DURING, AFTER = "2026-12-15T09:00:00Z", "2027-01-01T00:00:00Z"
STATEFUL = {"aws:ec2/eip:Eip", "aws:kms/key:Key", "aws:ecr/repository:Repository", "aws:backup/vault:Vault",
            "aws:backup/vaultLockConfiguration:VaultLockConfiguration", "aws:cloudwatch/logGroup:LogGroup",
            "aws:s3/bucket:Bucket", "aws:efs/fileSystem:FileSystem", "aws:rds/cluster:Cluster",
            "aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"}
COMPUTE_AND_TRAFFIC = ("aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition", "aws:ecs/cluster:Cluster",
                       "aws:lb/targetGroup:TargetGroup", "aws:lb/listenerRule:ListenerRule",
                       "aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy",
                       "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener",
                       "aws:ec2/natGateway:NatGateway", "aws:ec2/vpnConnection:VpnConnection")

@pytest.fixture(scope="module")
def decommissioning(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """acme-prod's stack file in decommissioning (same file name: its account stack and pack config resolve)."""
    doc = yaml.safe_load((STACKS / "Pulumi.acme-prod.yaml").read_text(encoding="utf-8"))
    doc["config"]["connect:tenant"] |= {"lifecycle": "decommissioning", "decommissionNoticeUntil": NOTICE}
    path = tmp_path_factory.mktemp("decommissioning") / "Pulumi.acme-prod.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def compare(path: Path, now: str, monkeypatch: pytest.MonkeyPatch) -> tuple[StackDiff, Plan]:
    active = cached_plan_stack("acme-prod", preview=False)
    monkeypatch.setenv(NOW_ENV, now)
    plan = cached_plan_stack(config_file=path, preview=False)
    return diff_plans(active, plan), plan


def of(result: StackDiff, action: Action) -> list[Any]:
    return [r for r in result.resources if r.action is action]


def test_after_the_notice_the_compute_and_traffic_path_go_and_nothing_stateful(
        decommissioning: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result, plan = compare(decommissioning, AFTER, monkeypatch)
    assert not result.blocked and not result.stranded and not result.failing
    assert of(result, Action.replace) == [] and of(result, Action.create) == []
    assert [r for r in result.resources if r.protect] == []  # no protected resource touched at all
    deleted = of(result, Action.delete)
    # Deleted: only what is not stateful, and the VPN's tunnel logs, which are retained in AWS (not protected).
    stateful = sorted(r.name for r in deleted if r.type in STATEFUL)
    assert stateful == ["dr-vpn-tunnel-logs", "vpn-tunnel-logs"]
    assert all(r.retain_on_delete and not r.protect for r in deleted if r.type in STATEFUL)
    # Every service, task definition, target group, listener rule, autoscaling, load balancer, NAT gateway and VPN
    # connection of the active plan is deleted, in both regions.
    active = cached_plan_stack("acme-prod", preview=False)
    expected = {r.urn for r in active.resources if r.type in COMPUTE_AND_TRAFFIC}
    assert expected <= {r.urn for r in deleted}
    assert {r.type for r in deleted} >= set(COMPUTE_AND_TRAFFIC)
    assert [r.name for r in of(result, Action.update)] == ["alerts-dashboard"]  # its widgets of what went
    # Every stateful resource stays exactly as it was, and the database still keeps a final snapshot.
    kept = {r.urn: r for r in plan.resources}
    for resource in active.resources:
        if resource.protect:
            assert kept[resource.urn].inputs == resource.inputs, resource.urn
    ledger = next(r for r in plan.resources if r.type == "aws:rds/cluster:Cluster")
    assert ledger.inputs["skipFinalSnapshot"] is False
    assert ledger.inputs["finalSnapshotIdentifier"] == "acme-prod-ledger-final"
    assert plan.mandatory == []  # the pack passes it, decommission-keeps-recovery-points included


def test_during_the_notice_the_load_balancer_loses_its_deletion_protection_and_the_vpn_stays(
        decommissioning: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result, plan = compare(decommissioning, DURING, monkeypatch)
    assert not result.failing and of(result, Action.replace) == [] and of(result, Action.create) == []
    balancers = [r for r in of(result, Action.update) if r.type == "aws:lb/loadBalancer:LoadBalancer"]
    assert sorted(r.name for r in balancers) == ["dr-platform-alb", "platform-alb"]
    for balancer in balancers:
        assert [(c.path, c.old, c.new) for c in balancer.changes] == [("enableDeletionProtection", True, False)]
    deleted = {r.type for r in of(result, Action.delete)}
    assert "aws:ecs/service:Service" in deleted and "aws:ec2/natGateway:NatGateway" in deleted
    assert not deleted & {"aws:ec2/vpnConnection:VpnConnection", "aws:lb/loadBalancer:LoadBalancer",
                          "aws:lb/listener:Listener", "aws:cloudwatch/logGroup:LogGroup"}
    assert plan.mandatory == []


def test_the_active_plans_are_those_of_before() -> None:
    """No `lifecycle` key: the program declares what it always did (the default is active)."""
    cfg = cached_plan_stack("acme-prod", preview=False).config
    assert cfg.tenant.lifecycle == "active" and cfg.tenant.traffic_path_kept()


def _config(edit: Callable[[dict[str, Any]], None], stack: str = "acme-staging") -> None:
    config = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    edit(config)
    secrets = {k for k, v in config.items() if isinstance(v, dict) and "secure" in v}
    parse_stack_config({k: v for k, v in config.items() if k not in secrets}, f"Pulumi.{stack}.yaml", secrets)


@pytest.mark.parametrize(("stack", "tenant", "path", "phrase"), [
    ("acme-staging", {"lifecycle": "decommissioning"}, "connect:tenant.decommissionNoticeUntil",
     "required key is missing with lifecycle: decommissioning"),
    ("acme-staging", {"decommissionNoticeUntil": NOTICE}, "connect:tenant.decommissionNoticeUntil",
     "set while lifecycle is active"),
    ("acme-staging", {"lifecycle": "decommissioning", "decommissionNoticeUntil": "31/12/2026"},
     "connect:tenant.decommissionNoticeUntil", "is not a date"),
    ("acme-staging", {"lifecycle": "retired"}, "connect:tenant.lifecycle", "decommissioning"),
    ("acme-account", {"lifecycle": "decommissioning", "decommissionNoticeUntil": NOTICE}, "connect:tenant.lifecycle",
     "decommissioning in an account stack"),
])
def test_the_lifecycle_keys_are_validated(stack: str, tenant: dict[str, Any], path: str, phrase: str) -> None:
    with pytest.raises(StackConfigError) as caught:
        _config(lambda config: config["connect:tenant"].update(tenant), stack)
    issues = [i for i in caught.value.issues if i.path == path]
    assert issues and phrase in issues[0].message, caught.value


def test_the_notice_is_judged_by_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    config = yaml.safe_load((STACKS / "Pulumi.acme-staging.yaml").read_text(encoding="utf-8"))["config"]
    config["connect:tenant"] |= {"lifecycle": "decommissioning", "decommissionNoticeUntil": NOTICE}
    cfg = parse_stack_config(config, "Pulumi.acme-staging.yaml", set())
    assert cfg.tenant.traffic_path_kept(datetime.date(2026, 12, 31))  # through the notice's last day
    assert not cfg.tenant.traffic_path_kept(datetime.date(2027, 1, 1))
    monkeypatch.setenv(NOW_ENV, "2026-12-31T23:59:59-03:00")  # already 1 January in UTC
    assert not cfg.tenant.traffic_path_kept()


# --- connectctl decommission -----------------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["decommission", *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


@pytest.fixture
def cached_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decommission_module, "plan_stack", cached_plan_stack)
    monkeypatch.delenv(NOW_ENV, raising=False)


def test_the_report_dates_and_costs_match_hand_arithmetic(decommissioning: Path, cached_report: None) -> None:
    code, output = run(str(decommissioning), "--format", "json")
    assert code == 0, output
    doc = json.loads(output)
    assert (doc["noticeUntil"], doc["endDate"]) == ("2026-12-31", "2027-01-01")
    assert NOW_ENV not in os.environ  # the report's clock is put back
    # connect:dr.backup: retentionDays 35, copyRetentionDays 35 (continuous: min(35, 35)); the lock min/max is
    # min(35, 35, 35) / max(35, 35). The last recovery point, made on 2027-01-01, expires 35 days later.
    assert doc["recoveryPoints"] == [
        {"vault": "acme-prod-primary", "region": "us-east-1", "retentionDays": 35, "lastExpires": "2027-02-05",
         "lockMinRetentionDays": 35, "lockMaxRetentionDays": 35},
        {"vault": "acme-prod-dr", "region": "us-west-2", "retentionDays": 35, "lastExpires": "2027-02-05",
         "lockMinRetentionDays": 35, "lockMaxRetentionDays": 35},
    ]
    stays = {(s["name"], s["region"]): s for s in doc["stays"]}
    # connect:network.flowLogs.retentionDays 365: 2027-01-01 + 365 days (2027 is not a leap year).
    assert stays[("network-flow-logs", "us-east-1")]["until"] == "2028-01-01"
    assert stays[("dr-vault-primary", "us-east-1")]["until"] == "2027-02-05"
    assert stays[("data-ledger", "us-east-1")]["until"] is None
    assert "final snapshot acme-prod-ledger-final" in stays[("data-ledger", "us-east-1")]["detail"]
    assert "versioned: every version is kept" in stays[("data-documents", "us-east-1")]["detail"]
    tunnel_logs = stays[("vpn-tunnel-logs", "us-east-1")]
    assert (tunnel_logs["inStack"], tunnel_logs["retainOnDelete"]) == (False, True)
    assert sum(1 for s in doc["stays"] if s["type"] == "aws:ec2/eip:Eip") == 6
    # Monthly cost, by hand from data/prices.yaml (us-east-1 and us-west-2 have the same list prices): 3 EIPs per
    # region x $0.005/h x 730 h = $10.95; one KMS key per region $1; backup storage: 2 backed-up stores (documents,
    # ledger) x 100 GB (assumed) x $0.05 = $10 per vault region; one dashboard $3. No NAT, load balancer, VPN,
    # Resolver, interface endpoint or alarm is left to pay for.
    prices = load_prices()
    east = prices.regions["us-east-1"]
    assert (east.public_ipv4_hour, east.kms_key_month, east.backup_storage_gb_month,
            east.cloudwatch_dashboard_month, prices.hours_per_month) == (0.005, 1.0, 0.05, 3.0, 730)
    by_item = {(c["region"], c["category"]): c["monthlyUsd"] for c in doc["cost"]["lineItems"]}
    assert by_item == {
        ("us-east-1", "public-ipv4"): pytest.approx(10.95), ("us-west-2", "public-ipv4"): pytest.approx(10.95),
        ("us-east-1", "kms-key"): 1, ("us-west-2", "kms-key"): 1,
        ("us-east-1", "backup-storage"): 10, ("us-west-2", "backup-storage"): 10,
        ("us-east-1", "cloudwatch-dashboard"): 3,
    }
    assert doc["cost"]["monthlyUsd"] == pytest.approx(2 * 10.95 + 2 * 1 + 2 * 10 + 3)  # 46.90
    titles = [s["title"] for s in doc["steps"]]
    assert titles.index("Final export, then delete the data stores") < titles.index(
        "Release the Elastic IPs, by agreement") < titles.index("Delete the emptied vaults, as break-glass")
    vault_step = doc["steps"][titles.index("Delete the emptied vaults, as break-glass")]["commands"]
    assert any(c.startswith("2027-02-05: pulumi state unprotect --yes") and "delete-backup-vault --region us-east-1 "
               "--backup-vault-name acme-prod-primary" in c for c in vault_step)


def test_the_markdown_report(decommissioning: Path, cached_report: None) -> None:
    code, output = run(str(decommissioning))
    assert code == 0, output
    for heading in ("# Decommissioning acme-prod", "## What stays, until when", "## Recovery points",
                    "## What it costs per month: $46.90", "## Steps, in order"):
        assert heading in output
    assert "| `acme-prod-primary` | us-east-1 | 35 | 35 / 35 | 2027-02-05 |" in output


def test_an_active_stack_has_no_report(cached_report: None) -> None:
    code, output = run("acme-prod")
    assert code == 2
    assert "connect:tenant.lifecycle is active" in output


def test_decommission_is_a_registered_command() -> None:
    assert "decommission" in cli.LAZY_COMMANDS
    code, output = run("--help")
    assert code == 0 and "--format" in output
