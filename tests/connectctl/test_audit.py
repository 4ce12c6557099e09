"""`connectctl audit` and `connectctl dr verify` against a real moto server, and for edge shapes, botocore's Stubber.

One moto server per test process (module scope) holds acme-account's registry, a compliant acme-prod and a
non-compliant acme-staging beside it in the same account and region (tests/connectctl/moto_seed.py). Tests
that break acme-prod do it inside a context manager that puts it back, so every test starts compliant.

moto 5.2.5 alone cannot answer two checks: its VPN connections carry no `VgwTelemetry` (nor can they be
filtered by `vpn-connection-id`, as the audit does with an outputs file) and it has no
ListRecoveryPointsByBackupVault (HTTP 404). The server runs in this process, so the module's fixture teaches
it these before it starts (tests/connectctl/moto_extensions.py, undone at the end of the module): every check
runs against the server, in this process and in the CLI's own. Stubber still covers the shapes the seed does
not make (tunnels missing or partly down, partial and expired recovery points, a renamed vault), on
responses botocore validates against the API model.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import moto.backup.urls as backup_urls
import pytest
from botocore.stub import Stubber
from moto.backup.responses import BackupResponse
from moto.ec2.models.vpn_connections import VPNConnection
from typer.testing import CliRunner

from components import clock
from components.dr import RPO
from connectctl import cli
from connectctl.audit import checks as audit_checks
from connectctl.audit.checks import CHECK_IDS, DR_RPO, covered_by_registry, wildcard_matches
from connectctl.audit.context import AuditContext, load_stack_config, registry_location
from tests.connectctl import moto_extensions, moto_seed
from tests.connectctl.conftest import connectctl as run_connectctl
from tests.connectctl.moto_server import moto_server, seeded_acme
from tests.connectctl.test_check import assert_sarif_valid

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def aws_env(**extra: str) -> dict[str, str]:
    """The environment without the caller's AWS settings: fake keys, no config files, no instance metadata.

    The audit's own run-time checks only (`CONNECTCTL_AUDIT_PACK=0`, as `--no-pack`): this seed is written by hand
    for them. The pack's rules judged live are tested on a seeding of the stacks' plans (test_audit_live.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | moto_seed.FAKE_CREDENTIALS | {
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true", "CONNECTCTL_AUDIT_PACK": "0"} | extra


def connectctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process, with the test AWS environment unless `env` is given."""
    return run_connectctl(*args, env=env if env is not None else aws_env())


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """The same CLI in-process (no interpreter start-up): for the many runs that need no process of their own."""
    result = CliRunner().invoke(cli.app, list(args), env=env if env is not None else aws_env())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def seed() -> Iterator[moto_seed.Seed]:
    """moto on 127.0.0.1 (a free port), extended with tunnel telemetry and recovery points, seeded once."""
    with moto_server() as (endpoint, extensions):  # test_secrets uses this fixture too
        yield seeded_acme(endpoint, extensions)


def findings(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["check"], f["resourceId"]) for f in doc["findings"]}


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in doc["checks"]}


# --- the acceptance: compliant seed, then the three faults -------------------------------------------


ACCOUNT_ONLY = ("access-roles", "audit-trail")  # checks only the account stack owns


def test_compliant_acme_prod_has_no_findings(seed: moto_seed.Seed) -> None:
    run = connectctl("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no progress noise when stderr is not a terminal
    doc = json.loads(run.stdout)
    assert doc["findings"] == []
    assert doc["account"] == moto_seed.ACCOUNT
    assert doc["identity"].startswith(f"arn:aws:sts::{moto_seed.ACCOUNT}:assumed-role/connect-deployer/")
    assert (doc["stack"], doc["region"], doc["drRegion"]) == ("acme-prod", "us-east-1", "us-west-2")
    assert statuses(doc) == {**dict.fromkeys(CHECK_IDS, "passed"), **dict.fromkeys(ACCOUNT_ONLY, "not-applicable")}
    examined = {c["id"]: c["examined"] for c in doc["checks"]}
    assert examined["ecr-scan-on-push"] == 3 and examined["ecs-service-base-capacity"] == 3
    assert examined["nat-egress-ips"] == 3  # perAz over three zones
    assert examined["vpn-tunnels-up"] == 1 and examined["dr-recovery-point"] == 1  # both read from the server
    assert examined["dr-secret-replicas"] == 2  # DB_PASSWORD (Secrets Manager) and SMTP_TOKEN (SSM)
    assert doc["summary"] == {"checks": 16, "passed": 14, "failed": 0, "skipped": 0, "not-applicable": 2,
                              "findings": 0, "mandatory": 0, "advisory": 0}


def test_the_three_faults_are_exactly_the_findings_in_every_format(seed: moto_seed.Seed) -> None:
    with moto_seed.broken(seed, "payments-api") as broken:
        run = connectctl("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
        code, sarif_text, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "sarif")
        text_code, text, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint)
    assert run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)
    # the hand-made interface and its Elastic IP are also outside the stack (unmanaged-resources)
    assert findings(doc) == {("no-public-eni", broken.eni), ("ecr-scan-on-push", "payments-api"),
                             ("alb-internal-only", broken.load_balancer), ("unmanaged-resources", broken.eni),
                             ("unmanaged-resources", broken.allocation)}
    by_check = {f["check"]: f for f in doc["findings"]}
    assert [f["severity"] for f in doc["findings"]] == ["critical"] * 3 + ["high"] * 2  # most severe first
    assert by_check["ecr-scan-on-push"]["arn"] == f"arn:aws:ecr:us-east-1:{moto_seed.ACCOUNT}:repository/payments-api"
    assert by_check["ecr-scan-on-push"]["location"] == {"file": "stacks/Pulumi.acme-prod.yaml", "line": 21}
    assert by_check["alb-internal-only"]["arn"].startswith(
        f"arn:aws:elasticloadbalancing:us-east-1:{moto_seed.ACCOUNT}:loadbalancer/app/acme-prod-public/")
    assert "internet-facing" in by_check["alb-internal-only"]["message"]
    assert "hand-made test box" in by_check["no-public-eni"]["message"]
    assert doc["summary"]["findings"] == 5 and doc["summary"]["failed"] == 4
    assert doc["summary"]["passed"] == 10 and doc["summary"]["skipped"] == 0

    assert code == 1
    sarif = json.loads(sarif_text)
    assert_sarif_valid(sarif)
    results = sarif["runs"][0]["results"]
    assert {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]) for r in results} == findings(doc)
    assert {r["level"] for r in results} == {"error"}
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CHECK_IDS)
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.acme-prod.yaml"

    assert text_code == 1
    assert "FAIL: 5 finding(s)" in text
    for resource in (broken.eni, "payments-api", broken.load_balancer):
        assert resource in text


def test_the_seed_is_compliant_again_after_breaking(seed: moto_seed.Seed) -> None:
    with moto_seed.broken(seed, "accounts-api"):
        assert invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint)[0] == 1
    code, out, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []


# --- the other checks against moto ----------------------------------------------------------------------------


def test_drift_outside_pulumi_is_caught(seed: moto_seed.Seed) -> None:
    with moto_seed.drifted(seed):
        code, out, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert findings(doc) == {
        ("alb-internal-only", "acme-prod-classic"),
        ("ecs-service-no-public-ip", "acme-prod/accounts-api"),
        ("ecs-service-base-capacity", "acme-prod/notifications-worker"),
        ("vpc-flow-logs", seed.prod.vpc_id),
    }
    messages = {f["check"]: f for f in doc["findings"]}
    assert "runs 1 task(s) (desired 1), below its base of 2" in messages["ecs-service-base-capacity"]["message"]
    assert messages["ecs-service-base-capacity"]["configPath"] == "connect:services[2].capacity.base"
    assert messages["alb-internal-only"]["resourceType"] == "AWS::ElasticLoadBalancing::LoadBalancer"


def test_outputs_file_pins_vpc_cluster_and_egress_ips(seed: moto_seed.Seed, tmp_path: Path) -> None:
    outputs = seed.prod.outputs("acme", "prod")
    exact = tmp_path / "outputs.json"
    exact.write_text(json.dumps(outputs))
    code, out, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--outputs", str(exact),
                          "--format", "json")
    assert code == 0, out
    assert json.loads(out)["outputsFile"] == str(exact)

    allow_listed = [*outputs["egressIps"][:-1], "203.0.113.77"]  # the client allow-lists an address no NAT uses
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps({**outputs, "egressIps": allow_listed}))
    code, out, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--outputs", str(moved),
                          "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert findings(doc) == {("nat-egress-ips", seed.prod.nat_ids[-1]), ("nat-egress-ips", "203.0.113.77")}
    assert any(f"egresses through {outputs['egressIps'][-1]}" in f["message"] for f in doc["findings"])


def test_a_registry_rule_covers_a_repository_without_its_own_flag(seed: moto_seed.Seed) -> None:
    ecr = moto_seed.aws(seed.session, seed.endpoint, "ecr")
    rule = {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "payments-*", "filterType": "WILDCARD"}]}
    with moto_seed.broken(seed, "payments-api"):
        ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[rule])
        try:
            code, out, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
        finally:
            ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])
    assert code == 1
    assert {check for check, _ in findings(json.loads(out))} == {"no-public-eni", "alb-internal-only",
                                                                 "unmanaged-resources"}


def test_another_environment_is_judged_only_by_its_own_audit(seed: moto_seed.Seed) -> None:
    code, out, _ = invoke("audit", "acme-staging", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert {check for check, _ in findings(doc)} == {"no-public-eni", "alb-internal-only", "ecs-service-no-public-ip",
                                                     "unmanaged-resources"}  # its debugging box and its EIP
    assert ("alb-internal-only", "acme-staging-public") in findings(doc)
    assert ("ecs-service-no-public-ip", "acme-staging/payments-api") in findings(doc)
    assert not any(seed.prod.vpc_id in f["message"] or "acme-prod" in f["resourceId"] for f in doc["findings"])
    assert statuses(doc)["nat-egress-ips"] == "passed"  # natGateways: single
    assert statuses(doc)["vpn-tunnels-up"] == "passed"  # its own link, both tunnels up
    assert statuses(doc)["dr-recovery-point"] == "not-applicable"  # no data stores


def test_the_account_stack_audits_its_whole_registry(seed: moto_seed.Seed) -> None:
    code, out, _ = invoke("audit", "acme-account", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert findings(doc) == {("ecr-scan-on-push", "legacy-batch")}  # undeclared, still the client's registry
    assert statuses(doc) == {**dict.fromkeys(CHECK_IDS, "not-applicable"), "ecr-scan-on-push": "failed",
                             "unmanaged-resources": "passed",
                             **dict.fromkeys(ACCOUNT_ONLY, "passed")}


def test_a_vpn_tunnel_down_is_reported_from_the_servers_telemetry(seed: moto_seed.Seed) -> None:
    vpn = seed.prod.vpn_connections["dc-santiago"]
    with moto_seed.tunnel_down(seed, "dc-santiago", tunnel=1, message="IPSEC IS DOWN") as outside_ip:
        code, out, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert findings(doc) == {("vpn-tunnels-up", vpn)}
    (finding,) = doc["findings"]
    assert finding["message"] == (
        f"VPN connection dc-santiago ({vpn}): tunnel(s) not up: {outside_ip} DOWN (IPSEC IS DOWN)")
    assert finding["configPath"] == "connect:vpn.connections[0]"
    assert finding["arn"] == f"arn:aws:ec2:us-east-1:{moto_seed.ACCOUNT}:vpn-connection/{vpn}"
    assert statuses(doc)["vpn-tunnels-up"] == "failed"
    code, out, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 0 and statuses(json.loads(out))["vpn-tunnels-up"] == "passed"  # both up again


def test_dr_verify_reads_the_dr_vaults_recovery_points_from_the_server(seed: moto_seed.Seed) -> None:
    code, out, _ = invoke("dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["findings"] == [] and [(c["id"], c["status"], c["examined"]) for c in doc["checks"]] == [
        ("dr-recovery-point", "passed", 1), ("dr-secret-replicas", "passed", 2), ("dr-restore-source", "passed", 1),
        ("dr-certificate-names", "passed", 2)]
    assert doc["checks"][0]["note"] == "vault acme-prod-dr in us-west-2, RPO 24.0 h"
    assert doc["checks"][1]["note"] == "copies in us-west-2, read by the standby (pilot-light)"

    old = moto_seed.dr_copy("acme-prod", "ledger", clock.now() - timedelta(hours=30))
    with moto_seed.dr_vault_holding(seed, [old]):
        code, out, _ = invoke("dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert (finding["check"], finding["resourceId"], finding["region"]) == (
        "dr-recovery-point", "acme-prod-dr", "us-west-2")
    assert finding["arn"] == moto_seed.vault_arn("us-west-2", "acme-prod-dr")
    assert f"({old['RecoveryPointArn']}, Aurora) is 30.0 h old, beyond the RPO of 24.0 h" in finding["message"]
    assert invoke("dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint)[0] == 0  # the fresh copy is back


def test_a_dr_vault_of_many_points_is_read_across_pages(seed: moto_seed.Seed) -> None:
    now = clock.now()
    points = [moto_seed.dr_copy("acme-prod", "ledger", now - timedelta(days=day, hours=30)) for day in range(1200)]
    with moto_seed.dr_vault_holding(seed, points):
        code, out, _ = invoke("dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["checks"][0]["examined"] == 1200  # more than one page of 1000
    assert "is 30.0 h old" in doc["findings"][0]["message"]


def test_the_moto_extensions_undo_themselves() -> None:
    def state() -> tuple[Any, ...]:
        return (getattr(VPNConnection, "vgw_telemetry", None), getattr(VPNConnection, "vpn_connection_id", None),
                getattr(BackupResponse, "list_recovery_points_by_backup_vault", None), dict(backup_urls.url_paths))

    before = state()  # moto's own, or the module fixture's extensions if it is active: either way, restored
    with moto_extensions.extended_moto():
        inside = state()
        assert all(patched is not saved for patched, saved in zip(inside[:3], before[:3], strict=True))
        assert moto_extensions.RECOVERY_POINTS_PATH in inside[3]
    assert state() == before


# --- errors: one message, exit 2 ---------------------------------------------------------------------------


def test_credentials_of_another_account_are_refused(seed: moto_seed.Seed) -> None:
    code, _, err = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--no-assume-role")
    assert code == 2
    assert "account 123456789012" in err and "lives in account 111111111111" in err


def test_a_region_without_the_stack_is_an_error(seed: moto_seed.Seed) -> None:
    code, _, err = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--region", "eu-west-1")
    assert code == 2
    assert "no VPC tagged connect:client=acme, connect:environment=prod in eu-west-1" in " ".join(err.split())


def test_outputs_of_another_deployment_are_an_error(seed: moto_seed.Seed, tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({**seed.prod.outputs("acme", "prod"), "vpcId": "vpc-0123456789abcdef0"}))
    code, _, err = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--outputs", str(path))
    assert code == 2
    assert "the outputs name VPC vpc-0123456789abcdef0, which does not exist in us-east-1" in " ".join(err.split())


def test_no_credentials() -> None:
    env = {k: v for k, v in aws_env().items() if k not in moto_seed.FAKE_CREDENTIALS}
    run = connectctl("audit", "acme-prod", "--endpoint-url", "http://127.0.0.1:9", env=env)
    assert run.returncode == 2
    assert "no AWS credentials found" in run.stderr and "Traceback" not in run.stderr
    assert run.stdout == ""


def test_unreachable_endpoint() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, err = invoke("audit", "acme-prod", "--endpoint-url", f"http://127.0.0.1:{port}",
                            env=aws_env(AWS_MAX_ATTEMPTS="1"))
    assert code == 2 and out == ""
    assert f"cannot reach the AWS endpoint http://127.0.0.1:{port}" in " ".join(err.split())


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "not JSON"),
    ("[1, 2]", "a list, expected an object of stack outputs"),
    ('{"client": "acme", "environment": "staging"}', "not of acme-prod"),
    ('{"egressIps": "198.51.100.1"}', "output 'egressIps'"),
    ('{"vpnConnections": {"dc-santiago": {}}}', "output 'vpnConnections'"),
])
def test_bad_outputs_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(content)
    code, out, err = invoke("audit", "acme-prod", "--outputs", str(path), "--endpoint-url", "http://127.0.0.1:9")
    assert code == 2 and out == ""
    assert expected in " ".join(err.split())


@pytest.mark.parametrize(("args", "expected"), [
    (["audit", "acme-prod", "--skip", "nope"], "unknown check(s) for --skip: nope"),
    (["audit", "acme-nowhere"], "no stack file stacks/Pulumi.acme-nowhere.yaml"),
    (["audit", "acme-prod", "--outputs", "/nonexistent/outputs.json"], "cannot read the outputs file"),
    (["dr", "verify", "acme-nowhere"], "no stack file"),
])
def test_bad_input(args: list[str], expected: str) -> None:
    code, _, err = invoke(*args)
    assert code == 2
    assert expected in " ".join(err.split())


# --- Stubber: the shapes the seed does not make -------------------------------------------------------------


def stubbed(service: str, region: str) -> tuple[Any, Stubber]:
    client = boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")  # type: ignore[call-overload]
    return client, Stubber(client)


def context(stack: str, clients: dict[tuple[str, str], Any], outputs: dict[str, Any] | None = None) -> AuditContext:
    stack_file, cfg = load_stack_config(stack)
    registry_region, repositories, _ = registry_location(cfg, stack_file)
    return AuditContext(stack=stack, cfg=cfg, account_id=cfg.tenant.account_id, region=cfg.region,
                        dr_region=cfg.tenant.dr_region, registry_region=registry_region, repositories=repositories,
                        client=lambda service, region: clients[service, region], now=NOW, rpo=DR_RPO,
                        outputs=outputs)


def tunnel(ip: str, status: str, message: str = "") -> dict[str, Any]:
    return {"OutsideIpAddress": ip, "Status": status, "StatusMessage": message, "AcceptedRouteCount": 1,
            "LastStatusChange": NOW - timedelta(hours=3)}


def vpn_connection(vpn_id: str, name: str, telemetry: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A connection as DescribeVpnConnections lists it (`telemetry` None: without `VgwTelemetry`, as moto's own)."""
    connection = {"VpnConnectionId": vpn_id, "State": "available", "Type": "ipsec.1",
                  "CustomerGatewayId": "cgw-0a1b2c3d", "VpnGatewayId": "vgw-0a1b2c3d", "Category": "VPN",
                  "Tags": [{"Key": "Name", "Value": name}, {"Key": "connect:client", "Value": "acme"},
                           {"Key": "connect:environment", "Value": "prod"}]}
    return connection if telemetry is None else {**connection, "VgwTelemetry": telemetry}


def stub_vpn(stubber: Stubber, connections: list[dict[str, Any]]) -> None:
    """The calls `vpn-tunnels-up` makes without outputs: tagged connections, the VPC, its gateways, theirs."""
    stubber.add_response("describe_vpn_connections", {"VpnConnections": connections})
    stubber.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-0a1b2c3d4e5f60718"}]})
    stubber.add_response("describe_vpn_gateways", {"VpnGateways": [{"VpnGatewayId": "vgw-0a1b2c3d"}]},
                         {"Filters": [{"Name": "attachment.vpc-id", "Values": ["vpc-0a1b2c3d4e5f60718"]}]})
    stubber.add_response("describe_vpn_connections", {"VpnConnections": connections})


@pytest.mark.parametrize(("telemetry", "expected"), [
    ([tunnel("52.1.1.1", "UP"), tunnel("52.2.2.2", "UP")], None),
    ([tunnel("52.1.1.1", "UP"), tunnel("52.2.2.2", "DOWN", "IPSEC IS DOWN")],
     "tunnel(s) not up: 52.2.2.2 DOWN (IPSEC IS DOWN)"),
    ([tunnel("52.1.1.1", "DOWN"), tunnel("52.2.2.2", "DOWN")], "52.1.1.1 DOWN; 52.2.2.2 DOWN"),
    ([tunnel("52.1.1.1", "UP")], "reports 1 tunnel(s) instead of 2"),
    (None, "AWS reports 0 tunnel(s) instead of 2, so both cannot be confirmed up"),  # no telemetry at all
])
def test_vpn_tunnels_from_aws_telemetry(telemetry: list[dict[str, Any]] | None, expected: str | None) -> None:
    ec2, stubber = stubbed("ec2", "us-east-1")
    stub_vpn(stubber, [vpn_connection("vpn-0123456789abcdef0", "acme-prod-dc-santiago", telemetry)])
    with stubber:
        outcome = audit_checks.vpn_tunnels_up(context("acme-prod", {("ec2", "us-east-1"): ec2}))
    stubber.assert_no_pending_responses()
    assert outcome.examined == 1
    if expected is None:
        assert outcome.findings == []
    else:
        (finding,) = outcome.findings
        assert finding.resource_id == "vpn-0123456789abcdef0"
        assert finding.message.startswith("VPN connection dc-santiago (vpn-0123456789abcdef0): ")
        assert expected in finding.message
        assert finding.config_path == "connect:vpn.connections[0]"


def test_a_declared_vpn_link_that_is_gone_and_a_stray_one() -> None:
    ec2, stubber = stubbed("ec2", "us-east-1")
    stray = vpn_connection("vpn-0fedcba9876543210", "someone-else", [tunnel("52.3.3.3", "UP")])
    stub_vpn(stubber, [stray])
    with stubber:
        outcome = audit_checks.vpn_tunnels_up(context("acme-prod", {("ec2", "us-east-1"): ec2}))
    assert [(f.resource_id, f.config_path) for f in outcome.findings] == [
        ("acme-prod-dc-santiago", "connect:vpn.connections[0]"),
        ("vpn-0fedcba9876543210", "connect:vpn")]
    assert "does not exist" in outcome.findings[0].message
    assert "reports 1 tunnel(s)" in outcome.findings[1].message  # a stray link on the VPC is audited too


def recovery_point(age: timedelta, status: str = "COMPLETED") -> dict[str, Any]:
    return {"RecoveryPointArn": f"arn:aws:rds:us-west-2:111111111111:cluster-snapshot:awsbackup:copyjob-{age.days}",
            "BackupVaultName": "acme-prod-dr",
            "BackupVaultArn": "arn:aws:backup:us-west-2:111111111111:backup-vault:acme-prod-dr",
            "ResourceArn": "arn:aws:rds:us-east-1:111111111111:cluster:acme-prod-ledger", "ResourceType": "Aurora",
            "CreationDate": NOW - age, "CompletionDate": NOW - age + timedelta(minutes=20), "Status": status}


def stub_dr(stubber: Stubber, points: list[dict[str, Any]], vault: str = "acme-prod-dr") -> None:
    stubber.add_response("describe_backup_vault", {
        "BackupVaultName": vault, "BackupVaultArn": f"arn:aws:backup:us-west-2:111111111111:backup-vault:{vault}",
        "NumberOfRecoveryPoints": len(points), "Locked": True}, {"BackupVaultName": vault})
    stubber.add_response("list_recovery_points_by_backup_vault", {"RecoveryPoints": points},
                         {"BackupVaultName": vault})


@pytest.mark.parametrize(("points", "expected"), [
    ([recovery_point(timedelta(hours=30)), recovery_point(timedelta(hours=5))], None),
    ([recovery_point(timedelta(hours=30)), recovery_point(timedelta(days=3))],
     "is 30.0 h old, beyond the RPO of 24.0 h"),
    ([recovery_point(timedelta(hours=1), "PARTIAL"), recovery_point(timedelta(days=9))], "is 9.0 days old"),
    ([], "holds no usable recovery point (0 in other states)"),
    ([recovery_point(timedelta(hours=2), "EXPIRED")], "holds no usable recovery point (1 in other states)"),
])
def test_dr_recovery_point_age(points: list[dict[str, Any]], expected: str | None) -> None:
    backup, stubber = stubbed("backup", "us-west-2")
    stub_dr(stubber, points)
    with stubber:
        outcome = audit_checks.dr_recovery_point(context("acme-prod", {("backup", "us-west-2"): backup}))
    stubber.assert_no_pending_responses()
    assert outcome.examined == len(points)
    if expected is None:
        assert outcome.findings == []
    else:
        (finding,) = outcome.findings
        assert expected in finding.message
        assert (finding.resource_id, finding.region) == ("acme-prod-dr", "us-west-2")


def test_dr_vault_from_the_outputs_and_a_missing_vault() -> None:
    backup, stubber = stubbed("backup", "us-west-2")
    stubber.add_client_error("describe_backup_vault", "ResourceNotFoundException", "vault not found",
                             http_status_code=404, expected_params={"BackupVaultName": "renamed-dr"})
    outputs = {"backupVaultArns": {"dr": "arn:aws:backup:us-west-2:111111111111:backup-vault:renamed-dr"}}
    with stubber:
        outcome = audit_checks.dr_recovery_point(context("acme-prod", {("backup", "us-west-2"): backup}, outputs))
    (finding,) = outcome.findings
    assert "DR backup vault renamed-dr does not exist in us-west-2" in finding.message


def test_dr_without_data_stores_is_not_applicable() -> None:
    outcome = audit_checks.dr_recovery_point(context("acme-staging", {}))
    assert outcome.not_applicable is not None and outcome.findings == []


def stub_failover(clients: dict[tuple[str, str], Any]) -> list[Stubber]:
    """acme-prod's failover needs (connectctl/audit/failover.py): one AWS Backup copy of ledger in us-west-2, and
    both regions' certificates covering `*.prod.acme.connect.internal`."""
    rds, rds_stub = stubbed("rds", "us-west-2")
    clients["rds", "us-west-2"] = rds
    copy = "arn:aws:rds:us-west-2:111111111111:cluster-snapshot:awsbackup:copyjob-acme-prod-ledger-1"
    rds_stub.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": [{
        "DBClusterSnapshotArn": copy, "DBClusterIdentifier": "acme-prod-ledger", "SnapshotType": "awsbackup",
        "Status": "available", "SnapshotCreateTime": NOW - timedelta(hours=2)}]},
        {"DBClusterIdentifier": "acme-prod-ledger", "SnapshotType": "awsbackup"})
    stubbers = [rds_stub]
    for arn in ("arn:aws:acm:us-east-1:111111111111:certificate/0d7e3c1a-5b2f-4c8e-9a61-3f2b7c9d1e40",
                "arn:aws:acm:us-west-2:111111111111:certificate/2b6f4c8a-1d3e-4f5a-9b7c-8e0d1f2a3b4c"):
        acm, acm_stub = stubbed("acm", arn.split(":")[3])
        clients["acm", arn.split(":")[3]] = acm
        acm_stub.add_response("describe_certificate", {"Certificate": {
            "CertificateArn": arn, "Status": "ISSUED", "SubjectAlternativeNames": ["*.prod.acme.connect.internal"]}},
            {"CertificateArn": arn})
        stubbers.append(acm_stub)
    return stubbers


@pytest.fixture
def stubbed_session(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str], Any]:
    """`open_session` answered by stubbed clients: the CLI end to end, without any endpoint."""
    clients: dict[tuple[str, str], Any] = {}

    def fake_open_session(*args: Any, **kwargs: Any) -> tuple[Any, dict[str, str]]:
        identity = {"account": "111111111111",
                    "arn": "arn:aws:sts::111111111111:assumed-role/connect-deployer/connectctl-audit-acme-prod"}
        return (lambda service, region: clients[service, region]), identity

    monkeypatch.setattr("connectctl.audit.open_session", fake_open_session)
    return clients


@pytest.mark.parametrize(("age", "code"), [(timedelta(hours=2), 0), (timedelta(hours=40), 1)])
def test_dr_verify_runs_the_dr_checks_alone(stubbed_session: dict[tuple[str, str], Any], age: timedelta,
                                            code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.NOW_ENV, NOW.isoformat())  # the recovery point's age is measured from NOW, on any date
    backup, stubber = stubbed("backup", "us-west-2")
    stubbed_session["backup", "us-west-2"] = backup
    stub_dr(stubber, [recovery_point(age)])
    stubbers = [stubber, *stub_secrets(stubbed_session), *stub_failover(stubbed_session)]
    with ExitStack() as stack:
        for each in stubbers:
            stack.enter_context(each)
        exit_code, out, _ = invoke("dr", "verify", "acme-prod", "--format", "json", "--rpo-hours", "36")
    for each in stubbers:
        each.assert_no_pending_responses()
    assert exit_code == code
    doc = json.loads(out)
    assert [c["id"] for c in doc["checks"]] == ["dr-recovery-point", "dr-secret-replicas", "dr-restore-source",
                                                "dr-certificate-names"]
    assert doc["checks"][0]["note"] == "vault acme-prod-dr in us-west-2, RPO 36.0 h"
    assert len(doc["findings"]) == code


def test_access_denied_is_one_message(stubbed_session: dict[tuple[str, str], Any]) -> None:
    ecr, stubber = stubbed("ecr", "us-east-1")
    stubbed_session["ecr", "us-east-1"] = ecr
    stubber.add_client_error("describe_repositories", "AccessDeniedException", "User: arn:aws:sts::111111111111:"
                             "assumed-role/connect-deployer/x is not authorized to perform: ecr:DescribeRepositories",
                             http_status_code=400)
    with stubber:
        code, out, err = invoke("audit", "acme-prod")
    assert code == 2 and out == ""
    message = " ".join(err.split())
    assert message.startswith("error: access denied to DescribeRepositories (check ecr-scan-on-push)")
    assert "not authorized to perform: ecr:DescribeRepositories" in message


# --- pure pieces ------------------------------------------------------------------------------------------


def test_registry_wildcards() -> None:
    assert wildcard_matches("*", "payments-api") and wildcard_matches("pay*-api", "payments-api")
    assert not wildcard_matches("pay?ents-api", "payments-api")  # only `*` is special in ECR filters
    rules = [{"scanFrequency": "MANUAL", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]},
             {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "acc*", "filterType": "WILDCARD"}]}]
    assert covered_by_registry(rules, "accounts-api") and not covered_by_registry(rules, "payments-api")


def test_the_default_rpo_is_the_documented_dr_region_rpo() -> None:
    assert timedelta(hours=24) == DR_RPO
    assert "24 hours" in str(RPO["drRegion"]["databases"])  # type: ignore[index]


# --- dr-secret-replicas: the standby's copies of the services' secrets ------------------------------------------

DB_PASSWORD = "arn:aws:secretsmanager:us-east-1:111111111111:secret:acme/prod/payments-db-Xy7Q2m"
DB_PASSWORD_DR = "arn:aws:secretsmanager:us-west-2:111111111111:secret:acme/prod/payments-db-Xy7Q2m"
SMTP_TOKEN = "arn:aws:ssm:us-east-1:111111111111:parameter/acme/prod/smtp-token"
SMTP_TOKEN_DR = "arn:aws:ssm:us-west-2:111111111111:parameter/acme/prod/smtp-token"
REPLICATE = ("aws secretsmanager replicate-secret-to-regions --region us-east-1 --secret-id {arn} "
             "--add-replica-regions Region=us-west-2")


def dr_secret_findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["check"] == "dr-secret-replicas"]


def test_the_seeded_secrets_are_at_the_stack_files_arns_with_their_dr_copies(seed: moto_seed.Seed) -> None:
    assert seed.prod.secrets == {"DB_PASSWORD": DB_PASSWORD, "SMTP_TOKEN": SMTP_TOKEN}
    assert seed.staging.secrets == {}
    dr = moto_seed.aws(seed.session, seed.endpoint, "secretsmanager", "us-west-2")
    assert dr.describe_secret(SecretId=DB_PASSWORD_DR)["PrimaryRegion"] == "us-east-1"
    code, out, _ = invoke("dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 0, out
    result = next(c for c in json.loads(out)["checks"] if c["id"] == "dr-secret-replicas")
    assert (result["status"], result["examined"], result["findings"]) == ("passed", 2, 0)


def test_a_secret_without_its_replica_is_one_finding(seed: moto_seed.Seed) -> None:
    with moto_seed.without_dr_copy(seed, DB_PASSWORD):
        code, out, _ = invoke("dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert statuses(doc) == {"dr-recovery-point": "passed", "dr-secret-replicas": "failed",
                             "dr-restore-source": "passed", "dr-certificate-names": "passed"}
    (finding,) = doc["findings"]
    assert finding == {
        "check": "dr-secret-replicas", "level": "mandatory", "source": "audit", "severity": "high",
        "resourceId": "acme/prod/payments-db-Xy7Q2m",
        "resourceType": "AWS::SecretsManager::Secret", "arn": DB_PASSWORD_DR, "region": "us-west-2",
        "message": f"service payments-api reads DB_PASSWORD from {DB_PASSWORD}, which has no replica in us-west-2: "
                   f"the DR standby reads {DB_PASSWORD_DR} and cannot start without it; replicate the secret to "
                   f"us-west-2: {REPLICATE.format(arn=DB_PASSWORD)}",
        "configPath": "connect:services[0].secrets.DB_PASSWORD",
        "location": {"file": "stacks/Pulumi.acme-prod.yaml", "line": 32}}
    assert invoke("dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint)[0] == 0  # the replica is back


def test_a_failed_replica_is_one_finding_naming_its_status(seed: moto_seed.Seed) -> None:
    """moto fails a replica as AWS does when a secret of the same name already exists in the region (its
    StatusMessage is moto's own text)."""
    with moto_seed.failed_replica(seed, DB_PASSWORD) as message:
        code, out, _ = invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert message == "Replication failed: Secret name simple already exists in region us-west-2."
    assert code == 1
    doc = json.loads(out)
    (finding,) = doc["findings"]  # the audit runs the check too
    assert (finding["check"], finding["resourceId"], finding["arn"], finding["region"]) == (
        "dr-secret-replicas", "acme/prod/payments-db-Xy7Q2m", DB_PASSWORD_DR, "us-west-2")
    assert finding["message"] == (
        f"service payments-api reads DB_PASSWORD from {DB_PASSWORD}, whose replica in us-west-2 is Failed "
        f"({message}): the DR standby reads {DB_PASSWORD_DR} and cannot count on it; remove the failed replica "
        f"(aws secretsmanager remove-regions-from-replication --region us-east-1 --secret-id {DB_PASSWORD} "
        f"--remove-replica-regions us-west-2) and replicate the secret to us-west-2 again: "
        f"{REPLICATE.format(arn=DB_PASSWORD)} (add --force-overwrite-replica-secret if a secret of that name "
        "already exists in us-west-2)")
    assert invoke("audit", "acme-prod", "--endpoint-url", seed.endpoint)[0] == 0  # in sync again


def test_a_parameter_missing_in_the_dr_region_is_one_finding(seed: moto_seed.Seed) -> None:
    with moto_seed.without_dr_copy(seed, SMTP_TOKEN):
        code, out, _ = invoke("dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding == {
        "check": "dr-secret-replicas", "level": "mandatory", "source": "audit", "severity": "high",
        "resourceId": "/acme/prod/smtp-token",
        "resourceType": "AWS::SSM::Parameter", "arn": SMTP_TOKEN_DR, "region": "us-west-2",
        "message": f"service notifications-worker reads SMTP_TOKEN from {SMTP_TOKEN}, which does not exist in "
                   f"us-west-2: SSM parameters are not replicated, and the DR standby reads {SMTP_TOKEN_DR} and "
                   "cannot start without it; write the parameter in us-west-2 under the same name, with the "
                   "primary's type and value: aws ssm put-parameter --region us-west-2 --name /acme/prod/smtp-token "
                   "--type <its type> --value <its value>",
        "configPath": "connect:services[2].secrets.SMTP_TOKEN",
        "location": {"file": "stacks/Pulumi.acme-prod.yaml", "line": 49}}
    assert invoke("dr", "verify", "acme-prod", "--endpoint-url", seed.endpoint)[0] == 0  # written again


def with_dr(cfg: Any, **update: Any) -> Any:
    """The stack config with `connect:dr` changed (models are frozen: a copy)."""
    return cfg.model_copy(update={"dr": cfg.dr.model_copy(update=update)})


@pytest.mark.parametrize(("stack", "change", "note"), [
    pytest.param("acme-staging", None,
                 "no standby in us-west-2 (connect:dr.mode backup-restore): no task reads secrets there",
                 id="backup-restore"),
    pytest.param("acme-prod", lambda cfg: with_dr(cfg, certificate_arn=None),
                 "no standby platform in us-west-2 (connect:dr.certificateArn not set): no task reads secrets there",
                 id="standby-without-platform"),
    pytest.param("acme-prod", lambda cfg: cfg.model_copy(update={
        "services": [s.model_copy(update={"secrets": {}}) for s in cfg.services]}),
        "no service reads secrets (connect:services[].secrets)", id="no-secrets"),
])
def test_dr_secret_replicas_without_a_standby_or_secrets_is_not_applicable(stack: str, change: Any,
                                                                          note: str) -> None:
    ctx = context(stack, {})  # no client: nothing is asked of AWS
    if change is not None:
        ctx.cfg = change(ctx.cfg)
    outcome = audit_checks.dr_secret_replicas(ctx)
    assert (outcome.not_applicable, outcome.examined, outcome.findings) == (note, 0, [])


def test_acme_staging_reports_dr_secret_replicas_not_applicable(seed: moto_seed.Seed) -> None:
    code, out, _ = invoke("audit", "acme-staging", "--endpoint-url", seed.endpoint, "--format", "json")
    assert code == 1  # its own seeded faults
    doc = json.loads(out)
    assert statuses(doc)["dr-secret-replicas"] == "not-applicable"
    assert not dr_secret_findings(doc)


def secret_description(arn: str, **fields: Any) -> dict[str, Any]:
    """DescribeSecret's answer for `arn` (metadata only: DescribeSecret never returns the value)."""
    return {"ARN": arn, "Name": arn.split(":", 6)[6].rsplit("-", 1)[0], **fields}


def in_sync(region: str = "us-west-2") -> dict[str, Any]:
    return {"Region": region, "KmsKeyId": "alias/aws/secretsmanager", "Status": "InSync",
            "StatusMessage": "Replication succeeded"}


def stub_secrets(clients: dict[tuple[str, str], Any],
                 secret: dict[str, Any] | tuple[str, str] | None = None) -> list[Stubber]:
    """acme-prod's two secrets: DB_PASSWORD's DescribeSecret in us-east-1 answered with `secret` (an error: its
    code and message; default: its replica in us-west-2 in sync), SMTP_TOKEN's DescribeParameters in us-west-2
    (by name, so no value is read)."""
    primary, primary_stub = stubbed("secretsmanager", "us-east-1")
    ssm, ssm_stub = stubbed("ssm", "us-west-2")
    clients["secretsmanager", "us-east-1"], clients["ssm", "us-west-2"] = primary, ssm
    if isinstance(secret, tuple):
        primary_stub.add_client_error("describe_secret", *secret, http_status_code=400,
                                      expected_params={"SecretId": DB_PASSWORD})
    else:
        primary_stub.add_response("describe_secret", secret or secret_description(
            DB_PASSWORD, ReplicationStatus=[in_sync()]), {"SecretId": DB_PASSWORD})
    parameters = [{"Name": "/acme/prod/smtp-token", "Type": "SecureString", "Version": 1}]
    ssm_stub.add_response("describe_parameters", {"Parameters": parameters}, {"ParameterFilters": [
        {"Key": "Name", "Option": "Equals", "Values": ["/acme/prod/smtp-token"]}]})
    return [primary_stub, ssm_stub]


NOT_FOUND = ("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")


@pytest.mark.parametrize(("primary", "dr", "expected"), [
    pytest.param(secret_description(DB_PASSWORD, ReplicationStatus=[
        {**in_sync(), "Status": "InProgress", "StatusMessage": "Replication in progress"}]), None,
        ("us-west-2", DB_PASSWORD_DR, "whose replica in us-west-2 is InProgress (Replication in progress): the DR "
         f"standby reads {DB_PASSWORD_DR} and cannot count on it; wait for the replication to finish, then run "
         "`connectctl dr verify acme-prod` again"), id="replication-in-progress"),
    pytest.param(secret_description(DB_PASSWORD, ReplicationStatus=[in_sync("eu-west-1")]),
                 secret_description(DB_PASSWORD_DR),
                 ("us-west-2", DB_PASSWORD_DR, f"which has no replica in us-west-2: {DB_PASSWORD_DR} exists there but "
                  "is not a replica, so it does not follow the secret's changes and rotations; replicate the secret "
                  f"to us-west-2, replacing that copy: {REPLICATE.format(arn=DB_PASSWORD)} "
                  "--force-overwrite-replica-secret"), id="standalone-copy-in-dr"),
    pytest.param(NOT_FOUND, None,
                 ("us-east-1", DB_PASSWORD, "which does not exist in us-east-1, so there is no replica in us-west-2 "
                  "either: neither the services nor the DR standby can start; create the secret, set its ARN in the "
                  f"stack file and replicate it to us-west-2: {REPLICATE.format(arn='<its ARN>')}"),
                 id="primary-missing"),
    pytest.param(secret_description(DB_PASSWORD, PrimaryRegion="us-west-2"), None, None,
                 id="the-dr-region-holds-the-primary"),
    pytest.param(secret_description(DB_PASSWORD, PrimaryRegion="eu-west-1"),
                 secret_description(DB_PASSWORD_DR, PrimaryRegion="eu-west-1"), None,
                 id="both-replicas-of-a-third-region"),
])
def test_dr_secret_replica_shapes(primary: dict[str, Any] | tuple[str, str], dr: dict[str, Any] | None,
                                  expected: tuple[str, str, str] | None) -> None:
    clients: dict[tuple[str, str], Any] = {}
    stubbers = stub_secrets(clients, primary)
    if dr is not None:
        clients["secretsmanager", "us-west-2"], dr_stub = stubbed("secretsmanager", "us-west-2")
        dr_stub.add_response("describe_secret", dr, {"SecretId": DB_PASSWORD_DR})
        stubbers.append(dr_stub)
    with ExitStack() as stack:
        for each in stubbers:
            stack.enter_context(each)
        outcome = audit_checks.dr_secret_replicas(context("acme-prod", clients))
    for each in stubbers:
        each.assert_no_pending_responses()
    assert outcome.examined == 2
    if expected is None:
        assert outcome.findings == []
        return
    region, arn, problem = expected
    (finding,) = outcome.findings
    assert (finding.resource_id, finding.region, finding.arn, finding.config_path) == (
        "acme/prod/payments-db-Xy7Q2m", region, arn, "connect:services[0].secrets.DB_PASSWORD")
    assert finding.message == f"service payments-api reads DB_PASSWORD from {DB_PASSWORD}, {problem}"


def test_warm_standby_secrets_in_sync_pass() -> None:
    """globex-prod: warm standby in eu-central-1, two Secrets Manager secrets in eu-west-1."""
    primary, stubber = stubbed("secretsmanager", "eu-west-1")
    for arn in ("arn:aws:secretsmanager:eu-west-1:222222222222:secret:globex/orders-db-Lq93Ts",
                "arn:aws:secretsmanager:eu-west-1:222222222222:secret:globex/stripe-Vb71Kp"):
        stubber.add_response("describe_secret", secret_description(arn, ReplicationStatus=[in_sync("eu-central-1")]),
                             {"SecretId": arn})
    with stubber:
        outcome = audit_checks.dr_secret_replicas(context("globex-prod", {("secretsmanager", "eu-west-1"): primary}))
    stubber.assert_no_pending_responses()
    assert (outcome.examined, outcome.findings, outcome.not_applicable) == (2, [], None)
    assert outcome.note == "copies in eu-central-1, read by the standby (warm-standby)"


def test_access_denied_to_describe_secret_is_one_message(stubbed_session: dict[tuple[str, str], Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.NOW_ENV, NOW.isoformat())
    backup, backup_stub = stubbed("backup", "us-west-2")
    stubbed_session["backup", "us-west-2"] = backup
    stub_dr(backup_stub, [recovery_point(timedelta(hours=2))])
    secrets, secrets_stub = stubbed("secretsmanager", "us-east-1")
    stubbed_session["secretsmanager", "us-east-1"] = secrets
    secrets_stub.add_client_error(
        "describe_secret", "AccessDeniedException", "User: arn:aws:sts::111111111111:assumed-role/connect-deployer/x "
        "is not authorized to perform: secretsmanager:DescribeSecret", http_status_code=400)
    with backup_stub, secrets_stub:
        code, out, err = invoke("dr", "verify", "acme-prod")
    assert code == 2 and out == ""
    message = " ".join(err.split())
    assert message.startswith("error: access denied to DescribeSecret (check dr-secret-replicas)")
    assert "not authorized to perform: secretsmanager:DescribeSecret" in message


@pytest.mark.parametrize("command", [("audit", "acme-prod"), ("dr", "verify", "acme-prod"),
                                     ("audit", "acme-prod", "--no-assume-role"),
                                     ("egress", "record", "acme-prod", "--live")])  # release: test_release.py
def test_an_endpoint_that_is_not_aws_is_one_message_and_exit_2(html_endpoint: str, command: tuple[str, ...]) -> None:
    code, out, err = invoke(*command, "--endpoint-url", html_endpoint, env=aws_env(AWS_MAX_ATTEMPTS="1"))
    assert (code, out) == (2, ""), err
    assert "Traceback" not in err
    message = " ".join(err.split())
    assert message.startswith("error: ") and f"{html_endpoint} did not answer as an AWS API" in message


def test_the_fleet_says_a_stack_behind_a_non_aws_endpoint_could_not_be_checked(html_endpoint: str) -> None:
    """`fleet assure` goes on with the other stacks and ends 2: an incomplete night is never a pass."""
    code, out, err = invoke("fleet", "assure", "--stacks", "acme-prod", "--endpoint-url", html_endpoint,
                            env=aws_env(AWS_MAX_ATTEMPTS="1"))
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert "did not answer as an AWS API" in " ".join((out + err).split())


# --- access roles, audit trail, default network ACL (issue #15) ------------------------------------------


def _audit_json(seed: moto_seed.Seed, stack: str) -> tuple[int, dict[str, Any]]:
    code, out, err = invoke("audit", stack, "--endpoint-url", seed.endpoint, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def _check(doc: dict[str, Any], check: str) -> dict[str, Any]:
    return next(c for c in doc["checks"] if c["id"] == check)


def test_the_account_stacks_roles_and_trail_pass_as_deployed(seed: moto_seed.Seed) -> None:
    _, doc = _audit_json(seed, "acme-account")
    # the seed's one unscanned repository (legacy-batch, used by no environment) is the account's only finding
    assert [(f["check"], f["resourceId"]) for f in doc["findings"]] == [("ecr-scan-on-push", "legacy-batch")]
    roles, trail = _check(doc, "access-roles"), _check(doc, "audit-trail")
    assert roles["status"] == "passed" and roles["examined"] >= 4
    assert trail["status"] == "passed" and trail["examined"] == 1
    assert _check(doc, "default-nacl-closed")["status"] == "not-applicable"
    _, prod = _audit_json(seed, "acme-prod")
    assert _check(prod, "access-roles")["status"] == "not-applicable"
    assert "owned by the account stack (acme-account)" in _check(prod, "access-roles")["note"]
    assert _check(prod, "default-nacl-closed")["status"] == "passed"


def test_role_drift_is_caught_and_named(seed: moto_seed.Seed) -> None:
    iam = moto_seed.aws(seed.session, seed.endpoint, "iam")
    breakglass_trust = iam.get_role(RoleName="connect-breakglass")["Role"]["AssumeRolePolicyDocument"]
    iam.update_assume_role_policy(RoleName="connect-breakglass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}]}))
    iam.put_role_policy(RoleName="connect-deployer", PolicyName="backdoor", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam.attach_role_policy(RoleName="connect-sre-readonly", PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    try:
        code, doc = _audit_json(seed, "acme-account")
    finally:
        iam.update_assume_role_policy(RoleName="connect-breakglass", PolicyDocument=json.dumps(breakglass_trust))
        iam.delete_role_policy(RoleName="connect-deployer", PolicyName="backdoor")
        iam.detach_role_policy(RoleName="connect-sre-readonly", PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    assert code == 1
    found = sorted(f["resourceId"] for f in doc["findings"] if f["check"] == "access-roles")
    assert found == ["connect-breakglass", "connect-deployer", "connect-sre-readonly"]
    messages = " | ".join(f["message"] for f in doc["findings"])
    assert "999999999999" in messages and "inline policy backdoor the stack does not declare" in messages
    assert "arn:aws:iam::aws:policy/IAMFullAccess attached, which the stack does not declare" in messages


def test_a_stopped_or_narrowed_trail_is_caught(seed: moto_seed.Seed) -> None:
    cloudtrail = moto_seed.aws(seed.session, seed.endpoint, "cloudtrail")
    (trail,) = cloudtrail.describe_trails()["trailList"]
    cloudtrail.stop_logging(Name=trail["Name"])
    cloudtrail.update_trail(Name=trail["Name"], IsMultiRegionTrail=False, EnableLogFileValidation=False)
    try:
        code, doc = _audit_json(seed, "acme-account")
    finally:
        cloudtrail.start_logging(Name=trail["Name"])
        cloudtrail.update_trail(Name=trail["Name"], IsMultiRegionTrail=True, EnableLogFileValidation=True)
    assert code == 1
    messages = sorted(f["message"] for f in doc["findings"] if f["check"] == "audit-trail")
    assert len(messages) == 3
    assert any("is not logging" in m for m in messages) and any("one region only" in m for m in messages)
    assert any("log file validation off" in m for m in messages)


def test_a_default_acl_with_a_rule_or_a_subnet_is_caught(seed: moto_seed.Seed) -> None:
    ec2 = moto_seed.aws(seed.session, seed.endpoint, "ec2")
    acl = moto_seed.default_acl(seed)
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=False,
                                 CidrBlock="0.0.0.0/0")
    try:
        code, doc = _audit_json(seed, "acme-prod")
    finally:
        ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Egress=False)
    assert code == 1
    (finding,) = [f for f in doc["findings"] if f["check"] == "default-nacl-closed"]
    assert finding["resourceId"] == acl and "rules 100 in allow 0.0.0.0/0" in finding["message"]


def test_audit_list_names_every_check_without_a_stack() -> None:
    code, out, _ = invoke("audit", "--list", "--format", "json")
    assert code == 0
    listed = {c["id"]: c for c in json.loads(out)["checks"]}
    assert list(listed)[:len(CHECK_IDS)] == list(CHECK_IDS)  # then the pack's other rules (test_audit_live.py)
    assert listed["access-roles"]["appliesTo"] == "account stacks"
    assert listed["default-nacl-closed"]["appliesTo"] == "environment stacks"
    assert all(c["reads"] for c in listed.values() if c["live"] != "no")
