"""`connectctl dr runbook`: the failover steps of a stack, held to its plans as it stands and with `dr.active`.

acme-prod (pilot-light, one database, VPN links) is built once per module; a backup-restore copy of it without
databases is built once too: no restore step, and names that are plain records until the failover replaces them.
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from connectctl import cli, runbook
from connectctl.critical_path import VARIANTS
from connectctl.engine.project import load_project
from connectctl.runbook import Runbook, Scaled, build, render_markdown

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "dr-runbook.md"
SAMPLE_START, SAMPLE_END = "<!-- sample: connectctl dr runbook acme-prod -->\n", "<!-- /sample -->"
RESTORE_SECONDS = VARIANTS["aws:rds/cluster:Cluster"][1].seconds  # a cluster restored from a snapshot


def variant(path: Path, change: Any) -> Path:
    """stacks/Pulumi.acme-prod.yaml with `change(config)` applied, written to `path` (comments and quotes kept)."""
    parser = YAML(typ="rt")
    parser.preserve_quotes = True
    parser.width = 4096
    data = parser.load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text(encoding="utf-8"))
    change(data["config"])
    written = io.StringIO()
    parser.dump(data, written)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(written.getvalue(), encoding="utf-8")
    return path


def backup_restore_without_databases(config: Any) -> None:
    config["connect:dr"]["mode"] = "backup-restore"
    del config["connect:data"]["databases"]
    for service in config["connect:services"]:
        if "uses" in service:
            service["uses"] = [store for store in service["uses"] if store != "ledger"]


@pytest.fixture(scope="module")
def acme() -> Runbook:
    return build("acme-prod", load_project())


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Runbook:
    path = variant(tmp_path_factory.mktemp("backup-restore") / "Pulumi.acme-prod.yaml",
                   backup_restore_without_databases)
    return build(str(path), load_project())


def step(book: Runbook, key: str) -> str:
    return "\n".join(next(s for s in book.steps if s.key == key).lines)


# --- acme-prod: pilot-light --------------------------------------------------------------------------------------


def test_the_steps_come_in_order(acme: Runbook) -> None:
    assert [s.key for s in acme.steps] == ["decide", "change", "apply", "dns", "vpn", "verify"]
    headings = re.findall(r"^## (.+)$", render_markdown(acme), flags=re.MULTILINE)
    assert headings == [
        "1. Decide and announce (incident lead, ~15 min 00 s)",
        "2. Declare the failover in the stack file (SRE on call, ~10 min 00 s)",
        f"3. Apply the change (SRE on call, ~{runbook.minutes(acme.change.apply_seconds + 180)})",
        "4. Client DNS: the zone answers from the DR region (client's DNS team, ~10 min 00 s)",
        "5. VPN device: the tunnels to the DR region (client's network team, ~15 min 00 s)",
        "6. Verify and announce (SRE on call, ~5 min 00 s)",
        "Failing back", "Expected times"]


def test_the_stack_change_is_active_zones_by_name_and_the_restore_source(acme: Runbook) -> None:
    assert acme.edits == [("connect:dr.active", "false (or absent)", "true"),
                          ("connect:network.availabilityZones", "3", "[us-east-1a, us-east-1b, us-east-1c]")]
    change = step(acme, "change")
    assert "    availabilityZones: [us-east-1a, us-east-1b, us-east-1c]" in change
    assert "    active: true\n    restoreFrom: {ledger: latest}" in change
    assert "`connectctl diff acme-prod --base HEAD`" in change
    counts = acme.change.counts
    assert counts["delete"] == 0 and counts["create"] > 0  # a failover deletes nothing
    assert (f"{counts['create']} to create, {counts['update']} to update, {counts['replace']} to replace, 0 to "
            "delete") in change


def test_the_change_restores_the_database_scales_the_services_and_flips_the_switch(acme: Runbook) -> None:
    (restored,) = acme.change.restored
    assert (restored.database, restored.cluster, restored.source) == ("ledger", "acme-prod-ledger", "latest")
    assert restored.snapshot.startswith("arn:aws:rds:us-west-2:111111111111:cluster-snapshot:awsbackup:copyjob-")
    assert "offline" in restored.snapshot  # `latest` is only known live (connectctl dr verify)
    assert restored.urn.endswith("$aws:rds/cluster:Cluster::dr-restore-ledger")
    assert acme.change.scaled == [Scaled("accounts-api", 0, 2, 6), Scaled("notifications-worker", 0, 2, 4),
                                  Scaled("payments-api", 0, 2, 10)]
    assert acme.change.switch == ("acme-prod-failover-declared", "notBreaching", "breaching")
    text = step(acme, "change")
    assert "**Database restored** in us-west-2: `ledger` as cluster `acme-prod-ledger`" in text
    assert "`payments-api` 0 → 2 task(s) (up to 10)" in text


def test_nothing_of_the_primary_region_changes_but_the_providers_sts_region(acme: Runbook) -> None:
    assert acme.change.primary == [] and acme.change.global_planes == [] and acme.change.plain_records == []
    assert acme.change.providers == ["tenant: stsRegion (none) -> us-west-2"]
    assert "**Nothing in us-east-1 changes** except the providers' configuration (tenant: stsRegion (none) -> " \
           "us-west-2)" in step(acme, "change")


def test_the_people_steps_carry_the_plans_addresses(acme: Runbook) -> None:
    dns, vpn = step(acme, "dns"), step(acme, "vpn")
    ips = acme.outputs["resolverInboundIps"]["us-west-2"]  # the DR region's endpoint: two addresses at least
    assert len(ips) >= 2 and all(ipaddress.IPv4Address(ip) in ipaddress.IPv4Network("10.42.0.0/16") for ip in ips)
    assert "forward the zone `prod.acme.connect.internal` to the Route 53 Resolver inbound endpoints of us-west-2: " \
           f"{', '.join(f'`{ip}`' for ip in ips)} (there since the standby was built" in dns
    assert f"`dig +short accounts-api.prod.acme.connect.internal @{ips[0]}`" in dns
    assert "`payments-api.prod.acme.connect.internal`" in dns
    link = acme.outputs["drVpnConnections"]["dc-santiago"]
    assert f"`dc-santiago`: VPN connection `{link['vpnConnectionId']}`, tunnels to " \
           f"`{link['tunnelOutsideIps'][0]}`, `{link['tunnelOutsideIps'][1]}`." in vpn
    assert "drVpnDeviceConfigurations" in vpn
    assert "efs" not in [s.key for s in acme.steps]  # acme-prod has no file system


def test_times_are_the_critical_path_figures_summed_against_the_rto(acme: Runbook) -> None:
    chain = {name: (type_, seconds) for name, type_, seconds, _ in acme.change.chain}
    assert chain["dr-restore-ledger"] == ("aws:rds/cluster:Cluster", RESTORE_SECONDS)
    assert acme.change.apply_seconds == sum(seconds for _, _, seconds, _ in acme.change.chain)
    seconds = {s.key: s.seconds for s in acme.steps}
    assert seconds == {"decide": 900, "change": 600, "apply": acme.change.apply_seconds + 180, "dns": 600,
                       "vpn": 900, "verify": 300}
    assert acme.total_seconds == sum(seconds.values())
    # The DNS and VPN steps wait on nothing the change creates: they run while `pulumi up` does.
    assert acme.overlapped_seconds == acme.total_seconds - 600 - 900
    assert (acme.rto_seconds, acme.rto.split(":")[0]) == (5400, "90 minutes")
    assert acme.verdict(acme.total_seconds) == ("within the RTO" if acme.total_seconds <= 5400 else "over the RTO")
    text = render_markdown(acme)
    assert f"| | **one after the other** | | **{runbook.minutes(acme.total_seconds)}** | | RTO 90 minutes: " \
           f"{acme.verdict(acme.total_seconds)} |" in text
    assert f"| | **alongside `pulumi up`** | | **{runbook.minutes(acme.overlapped_seconds)}** |" in text


def test_failing_back_restores_the_primary_unprotects_then_reverses(acme: Runbook) -> None:
    text = "\n".join(acme.failback)
    order = [text.index(marker) for marker in (
        "aws rds create-db-cluster-snapshot --region us-west-2 --db-cluster-identifier acme-prod-ledger",
        "aws rds copy-db-cluster-snapshot --region us-east-1 --source-region us-west-2",
        "aws rds restore-db-cluster-from-snapshot --region us-east-1 --db-cluster-identifier acme-prod-ledger",
        "pulumi state unprotect --stack acme-prod",
        "`connect:dr.active: false`")]
    assert order == sorted(order)
    assert acme.change.unprotect == [
        "urn:pulumi:acme-prod::connect::connect:dr:DisasterRecovery$aws:cloudwatch/logGroup:LogGroup::"
        "dr-restore-ledger-logs",
        "urn:pulumi:acme-prod::connect::connect:dr:DisasterRecovery$aws:rds/cluster:Cluster::dr-restore-ledger"]
    assert all(f"'{urn}'" in text for urn in acme.change.unprotect)


# --- backup-restore without databases ---------------------------------------------------------------------------


def test_a_stack_without_databases_has_no_restore_step(plain: Runbook) -> None:
    assert plain.change.restored == []
    change = step(plain, "change")
    assert "restoreFrom" not in change and "No database to restore" in change
    assert "connectctl dr verify acme-prod`: it resolves" not in change
    assert "create-db-cluster-snapshot" not in "\n".join(plain.failback)
    assert "rds/cluster" not in " ".join(plain.change.unprotect)
    assert plain.change.scaled == [Scaled("accounts-api", None, 2, 6), Scaled("notifications-worker", None, 2, 4),
                                   Scaled("payments-api", None, 2, 10)]


def test_backup_restore_names_are_plain_records_that_need_route53s_control_plane(plain: Runbook) -> None:
    assert plain.change.plain_records == ["accounts-api.prod.acme.connect.internal",
                                          "notifications-worker.prod.acme.connect.internal",
                                          "payments-api.prod.acme.connect.internal"]
    text = step(plain, "change")
    assert "**The names are plain records** (`accounts-api.prod.acme.connect.internal`" in text
    assert "needs Route 53's control plane (in us-east-1)" in text
    planes = {(t.action, t.type) for t in plain.change.global_planes}
    assert ("delete", "aws:route53/record:Record") in planes and ("create", "aws:iam/role:Role") in planes
    assert plain.change.switch == ("acme-prod-failover-declared", "", "breaching")
    assert (plain.rto_seconds, plain.mode) == (8 * 3600, "backup-restore")
    # The VPN connection is created by the change: the device waits for it, so that step follows `pulumi up`.
    assert not next(s for s in plain.steps if s.key == "vpn").alongside


# --- pieces and the command ---------------------------------------------------------------------------------------


def test_the_active_copy_keeps_every_other_value_as_written() -> None:
    text = (ROOT / "stacks" / "Pulumi.acme-staging.yaml").read_text(encoding="utf-8")
    written = runbook.active_text(text, ("connect:dr", "connect:network"), ["us-east-1a", "us-east-1b"])
    data = YAML(typ="safe").load(written)["config"]
    assert data["connect:dr"] == {"mode": "backup-restore", "active": True,
                                  "backup": {"retentionDays": 35, "copyRetentionDays": 35, "continuous": False}}
    network = data["connect:network"]
    assert (network["availabilityZones"], network["natZone"]) == (["us-east-1a", "us-east-1b"], "us-east-1a")
    assert data["connect:tenant"]["accountId"] == "111111111111"  # still a string
    prod = (ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text(encoding="utf-8")
    again = runbook.active_text(prod, ("connect:dr", "connect:network"), None)
    assert 'backup: {schedule: "cron(0 5 * * ? *)"' in again and "secure: v1:Zm9vYmFyOnNhbnRpYWdvLTE=" in again


def test_rto_durations_are_read_from_the_estimate() -> None:
    assert runbook.rto_seconds("15 minutes: set connect:dr.active") == 900
    assert runbook.rto_seconds("8 hours: ...") == 28800
    assert runbook.rto_seconds("as soon as possible") is None
    assert runbook.minutes(1865) == "31 min 05 s" and runbook.minutes(42) == "42 s"


def test_a_stack_that_cannot_fail_over_is_one_clear_error() -> None:
    result = CliRunner().invoke(cli.app, ["dr", "runbook", "acme-staging"])
    assert result.exit_code == 2 and result.stdout == ""
    message = " ".join(result.stderr.split())
    assert message.startswith("error: stacks/Pulumi.acme-staging.yaml: acme-staging cannot fail over as its stack "
                              "file stands: with connect:dr.active: true, connect:dr.certificateArn: required")
    assert "connect:dr.cidr: required" in message and "Traceback" not in result.stderr
    assert CliRunner().invoke(cli.app, ["dr", "runbook", "acme-account"]).exit_code == 2
    unknown = CliRunner().invoke(cli.app, ["dr", "runbook", "nope-prod"])
    assert unknown.exit_code == 2 and "no stack file stacks/Pulumi.nope-prod.yaml" in unknown.stderr


def test_the_command_prints_markdown_or_the_json_document(acme: Runbook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runbook, "build", lambda argument, project: acme)
    markdown = CliRunner().invoke(cli.app, ["dr", "runbook", "acme-prod"])
    assert markdown.exit_code == 0 and markdown.stdout == render_markdown(acme)
    result = CliRunner().invoke(cli.app, ["dr", "runbook", "acme-prod", "--format", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert [s["key"] for s in doc["steps"]] == ["decide", "change", "apply", "dns", "vpn", "verify"]
    assert doc["totalSeconds"] == acme.total_seconds == sum(s["seconds"] for s in doc["steps"])
    assert doc["change"]["restoredDatabases"][0]["database"] == "ledger"
    assert doc["withinRto"] == {"total": acme.within_rto(acme.total_seconds),
                                "overlapped": acme.within_rto(acme.overlapped_seconds)}


def test_the_documented_sample_is_the_command_output(acme: Runbook) -> None:
    """docs/dr-runbook.md shows acme-prod's runbook as `connectctl dr runbook acme-prod` prints it, in the sample
    block every document uses (`<!-- sample: COMMAND -->`, regenerated by `python -m connectctl.samples`)."""
    text = DOC.read_text(encoding="utf-8")
    sample = text.split(SAMPLE_START, 1)[1].split(SAMPLE_END, 1)[0]
    assert sample == f"```text\n$ connectctl dr runbook acme-prod\n{render_markdown(acme).rstrip()}\n```\n"
    assert "```" not in render_markdown(acme)  # a fence inside would close the sample's block
