"""`connectctl new`, and stack files planned from anywhere (issue #16).

A client made with `connectctl new` in a temporary directory plans PASS from there, as written and with its
first service added the way the file says; its files validate against the committed JSON Schema; every clash
and bad flag is refused with exit 2, a message naming the flag, and nothing written. `--account-file` and
`--project-dir` are exercised on every command that plans a stack (a throw-away project holding only the new
environment, its account stack elsewhere), one plan each: the CLI runs in process (CliRunner) to stay fast.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner, Result

from connectctl import new as new_module
from connectctl.cli import app
from connectctl.engine.project import PROJECT_ROOT, load_project, load_stack
from connectctl.plan import ConfigReport, pack_config_file, validate

SCHEMA = json.loads((PROJECT_ROOT / "schemas" / "stack.schema.json").read_text())
ACCOUNT_ID, DR_CERTIFICATE_REGION = "333333333333", "us-west-2"
FLAGS = ["--account-id", ACCOUNT_ID, "--region", "us-east-1", "--dr-region", "us-west-2", "--cidr", "10.50.0.0/16"]


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def flat(result: Result) -> str:
    """stderr on one line (rich folds long messages)."""
    return " ".join(result.stderr.split())


def certificate(region: str) -> str:
    return f"arn:aws:acm:{region}:{ACCOUNT_ID}:certificate/{uuid.UUID(int=7)}"


def uncomment(text: str, key: str) -> str:
    """Uncomment the `# <key>:` block of a generated file, as its comment tells the user to."""
    lines = text.splitlines()
    start = lines.index(f"  # {key}:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("  #   "):
        end += 1
    lines[start:end] = [f"  {line[4:]}" for line in lines[start:end]]
    return "\n".join(lines) + "\n"


def add_first_service(directory: Path) -> None:
    """Follow the environment file's own instructions: repository, certificate(s), then the example service."""
    account = directory / "Pulumi.newco-account.yaml"
    account.write_text(account.read_text().replace("    repositories: []", "    repositories: [web-api]"))
    environment = directory / "Pulumi.newco-prod.yaml"
    text = uncomment(uncomment(environment.read_text(), "connect:platform"), "connect:services")
    text = text.replace("certificate/<id>", f"certificate/{uuid.UUID(int=7)}")
    text = text.replace("    mode: pilot-light\n", f"    mode: pilot-light\n    certificateArn: "
                        f"{certificate(DR_CERTIFICATE_REGION)}\n")
    environment.write_text(text)


@pytest.fixture(scope="module")
def client_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("newco") / "clients"
    result = cli("new", "newco", *FLAGS, "--on-prem-cidr", "172.20.0.0/16", "--dir", str(directory))
    assert result.exit_code == 0, result.stderr
    return directory


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory, client_dir: Path) -> tuple[Path, Path]:
    """A project of its own holding only newco-prod (with its first service), and the account stack file outside."""
    root = tmp_path_factory.mktemp("elsewhere")
    project = root / "project"
    (project / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_ROOT / name, project / name)
    for name in ("Pulumi.newco-account.yaml", "policy.newco-account.json", "Pulumi.newco-prod.yaml",
                 "policy.newco-prod.json"):
        shutil.copy(client_dir / name, project / "stacks" / name)
    add_first_service(project / "stacks")
    account = root / "accounts" / "newco.yaml"  # not the name it would have beside: --account-file reads it anyway
    account.parent.mkdir()
    (project / "stacks" / "Pulumi.newco-account.yaml").rename(account)
    return project, account


# --- what `new` writes ------------------------------------------------------------------------------------------


def test_new_writes_the_two_stack_files_and_their_pack_configs(client_dir: Path) -> None:
    assert sorted(p.name for p in client_dir.iterdir()) == [
        "Pulumi.newco-account.yaml", "Pulumi.newco-prod.yaml", "policy.newco-account.json", "policy.newco-prod.json"]
    for name in ("Pulumi.newco-account.yaml", "Pulumi.newco-prod.yaml"):
        lines = (client_dir / name).read_text().splitlines()
        modeline = lines[0].removeprefix("# yaml-language-server: $schema=")
        assert modeline != lines[0] and (client_dir / modeline).resolve() == PROJECT_ROOT / "schemas" / \
            "stack.schema.json"
        sections = [i for i, line in enumerate(lines) if line.startswith("  connect:") or line.startswith("  aws:")]
        assert sections and all(lines[i - 1].startswith("  # ") for i in sections), name  # each section commented


def test_the_files_validate_against_the_committed_schema(client_dir: Path) -> None:
    for name in ("Pulumi.newco-account.yaml", "Pulumi.newco-prod.yaml"):
        jsonschema.validate(yaml.safe_load((client_dir / name).read_text()), SCHEMA)


def test_both_files_plan_pass_from_their_directory(client_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(client_dir)  # nowhere near the project: the account and pack configs are found beside
    for stack in ("newco-account", "newco-prod"):
        result = cli("plan", "--config-file", f"Pulumi.{stack}.yaml")
        assert result.exit_code == 0, result.stdout + result.stderr
        assert "PASS: " in result.stdout and " 0 mandatory and 0 advisory" in result.stdout


def test_production_gets_the_production_shape(client_dir: Path) -> None:
    project = load_project()
    cfg = validate(load_stack(project, path=client_dir / "Pulumi.newco-prod.yaml"))
    assert cfg.tenant.is_production and cfg.zone_count() == 3 and cfg.net.nat_gateways == "perAz"
    assert cfg.dr.mode == "pilot-light" and cfg.alerts.emails and not cfg.services
    pack = json.loads((client_dir / "policy.newco-prod.json").read_text())
    assert pack["ecs-service-autoscaling"] == {"production": True, "standbyRegion": "us-west-2"}
    assert pack["backup-vault-encrypted-locked"] == {"production": True}
    assert pack["alb-hardening"] == {"requireDeletionProtection": True}


def test_a_staging_environment_is_smaller(tmp_path: Path) -> None:
    result = cli("new", "initech", "--account-id", "444444444444", "--region", "eu-west-1", "--dr-region",
                 "eu-central-1", "--cidr", "10.70.0.0/20", "--env", "staging", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    cfg = validate(load_stack(load_project(), path=tmp_path / "Pulumi.initech-staging.yaml"))
    assert (cfg.zone_count(), cfg.net.nat_gateways, cfg.dr.mode) == (2, "single", "backup-restore")
    assert json.loads((tmp_path / "policy.initech-staging.json").read_text())["ecs-service-autoscaling"] == {
        "production": False}
    assert "connect:vpn" not in (tmp_path / "Pulumi.initech-staging.yaml").read_text()  # no --on-prem-cidr


def test_the_first_service_added_as_the_file_says_plans_pass(client_dir: Path, tmp_path: Path) -> None:
    for path in client_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    add_first_service(tmp_path)
    result = cli("plan", "--config-file", str(tmp_path / "Pulumi.newco-prod.yaml"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "PASS: " in result.stdout and "web-api" in result.stdout


def test_the_vpn_section_is_commented_with_placeholders_and_validates_once_filled(client_dir: Path,
                                                                                 tmp_path: Path) -> None:
    text = (client_dir / "Pulumi.newco-prod.yaml").read_text()
    assert "\n  connect:vpn:" not in text and "  # connect:vpn:" in text and "onPremCidrs: [172.20.0.0/16]" in text
    project = load_project()
    unfilled = tmp_path / "Pulumi.newco-prod.yaml"
    unfilled.write_text(uncomment(text, "connect:vpn"))
    with pytest.raises(ConfigReport) as caught:
        validate(load_stack(project, path=unfilled))
    assert "peerIp: '<public IPv4 address of the VPN device>' is not an IPv4 address" in str(caught.value)
    assert "bgpAsn" in str(caught.value)
    unfilled.write_text(uncomment(text, "connect:vpn").replace("<public IPv4 address of the VPN device>",
                                                                "190.98.210.30").replace("<the device ASN>", "65020"))
    cfg = validate(load_stack(project, path=unfilled))
    assert cfg.vpn is not None and cfg.vpn.connections[0].on_prem_cidrs == ["172.20.0.0/16"]


def test_generated_pack_configs_are_the_committed_ones() -> None:
    """The generator is the rule the committed pack configs follow: it reproduces each of them exactly."""
    project = load_project()
    for stack in project.stacks():
        cfg = validate(load_stack(project, stack))
        made = (new_module.account_pack_config if cfg.is_account else new_module.environment_pack_config)(cfg)
        assert made == json.loads((project.stack_config_dir / f"policy.{stack}.json").read_text()), stack


def test_role_names_are_those_of_the_access_component() -> None:
    from components.access import BREAKGLASS, DEPLOYER

    assert (new_module.DEPLOYER, new_module.BREAKGLASS) == (DEPLOYER, BREAKGLASS)


# --- refusals: exit 2, the flag named, nothing written ---------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["acme", *FLAGS], "CLIENT 'acme': stack files of that client exist already (stacks/Pulumi.acme-account.yaml"),
    (["newco", *FLAGS[:1], "111111111111", *FLAGS[2:]], "--account-id 111111111111: already the account of client "
     "'acme'"),
    (["newco", *FLAGS[:1], "999999999999", *FLAGS[2:]], "--account-id 999999999999: the operator's identity account"),
    (["newco", *FLAGS[:1], "3333", *FLAGS[2:]], "--account-id '3333': not an AWS account id; allowed: exactly 12 "
     "digits"),
    (["newco", *FLAGS, "--on-prem-cidr", "10.50.128.0/17"], "--cidr 10.50.0.0/16: overlaps the on-premises range "
     "10.50.128.0/17 (--on-prem-cidr); allowed: a VPC block outside"),
    (["newco", *FLAGS, "--on-prem-cidr", "172.16.0.1/16"], "--on-prem-cidr: '172.16.0.1/16' is not a CIDR block"),
    (["newco", *FLAGS[:7], "10.50.0.0/8"], "--cidr: '10.50.0.0/8' is a /8; allowed: a prefix from /16 to /20"),
    (["newco", *FLAGS[:7], "8.8.0.0/16"], "--cidr: '8.8.0.0/16' is not a private block"),
    (["newco", *FLAGS[:3], "us-east1", *FLAGS[4:]], "--region 'us-east1': not an AWS region code (did you mean "
     "us-east-1?); allowed: us-east-1,"),
    (["newco", *FLAGS[:5], "us-east-1", *FLAGS[6:]], "--dr-region us-east-1: the primary region (--region); "
     "allowed: any other region"),
    (["NewCo", *FLAGS], "CLIENT 'NewCo': not a client slug; allowed: 2-20 lowercase letters"),
    (["newco", *FLAGS, "--env", "account"], "--env 'account': the name of the client's account stack"),
    (["newco", *FLAGS, "--alert-email", "oncall"], "--alert-email: 'oncall' is not an email address"),
    (["newco", *FLAGS, "--ci-role-arn", "arn:aws:iam::888888888888:role/ci"], "--ci-role-arn "
     "arn:aws:iam::888888888888:role/ci: a role of account 888888888888; allowed: a role of the operator account "
     "999999999999"),
])
def test_bad_input_and_clashes_exit_2_writing_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    target = tmp_path / "out"
    result = cli("new", *args, "--dir", str(target))
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("error: ") and message in flat(result), flat(result)
    assert "Traceback" not in result.stderr and not target.exists()


def test_a_client_already_in_the_target_directory_is_refused(client_dir: Path) -> None:
    before = {p.name: p.read_bytes() for p in client_dir.iterdir()}
    result = cli("new", "newco", *FLAGS, "--dir", str(client_dir))
    assert result.exit_code == 2 and "CLIENT 'newco': stack files of that client exist already" in flat(result)
    assert {p.name: p.read_bytes() for p in client_dir.iterdir()} == before


def test_without_account_stacks_to_read_the_operator_flags_are_required(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    shutil.copytree(PROJECT_ROOT / "schemas", project / "schemas")
    result = cli("new", "newco", *FLAGS, "--project-dir", str(project))
    assert result.exit_code == 2
    assert "--operator-account-id: required here: the project has no account stack" in flat(result)
    assert "--ci-role-arn: required here" in flat(result) and not any((project / "stacks").iterdir())
    result = cli("new", "newco", *FLAGS, "--project-dir", str(project), "--operator-account-id", "777777777777",
                 "--ci-role-arn", "arn:aws:iam::777777777777:role/ci", "--alert-email", "noc@example.com")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("next: connectctl plan newco-account; connectctl plan newco-prod\n")
    text = (project / "stacks" / "Pulumi.newco-account.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../schemas/stack.schema.json\n")  # as the committed ones
    assert "operatorAccountId: '777777777777'" in text and "noc@example.com" in text


# --- stack files planned from anywhere: --account-file, --project-dir, pack config beside -----------------------


def test_an_account_file_that_is_nowhere_to_be_found_is_named(elsewhere: tuple[Path, Path]) -> None:
    project, _ = elsewhere
    result = cli("plan", "newco-prod", "--project-dir", str(project))
    assert result.exit_code == 2
    message = flat(result)
    assert "its services pull from the account stack 'newco-account', which cannot be read" in message
    assert "no stack file stacks/Pulumi.newco-account.yaml for stack 'newco-account'" in message
    assert "--account-file PATH" in message and "Traceback" not in result.stderr


def test_an_account_file_of_another_client_is_refused(elsewhere: tuple[Path, Path]) -> None:
    project, _ = elsewhere
    acme = PROJECT_ROOT / "stacks" / "Pulumi.acme-account.yaml"
    result = cli("plan", "newco-prod", "--project-dir", str(project), "--account-file", str(acme))
    assert result.exit_code == 2
    assert f"--account-file {acme} is the account stack of 'acme'; allowed: the account stack of 'newco'" in flat(
        result)
    result = cli("plan", "acme-account", "--account-file", str(acme))
    assert result.exit_code == 2 and "is itself an account stack" in flat(result)


@pytest.mark.parametrize(("command", "shows"), [
    (["plan", "newco-prod"], "web-api"),  # the service, planned with the registry of the account stack read
    (["check", "newco-prod", "--format", "json"], '"file": "stacks/Pulumi.newco-prod.yaml"'),
    (["capacity", "newco-prod", "--format", "json"], "web-api"),
    (["diagram", "newco-prod"], "web-api"),
])
def test_every_planning_command_takes_project_dir_and_account_file(elsewhere: tuple[Path, Path],
                                                                   command: list[str], shows: str) -> None:
    project, account = elsewhere
    result = cli(*command, "--project-dir", str(project), "--account-file", str(account))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert shows in result.stdout


def test_diff_takes_project_dir_and_account_file(elsewhere: tuple[Path, Path], client_dir: Path) -> None:
    project, account = elsewhere
    before = client_dir / "Pulumi.newco-prod.yaml"  # as written: no service yet
    result = cli("diff", str(before), "newco-prod", "--project-dir", str(project), "--account-file", str(account),
                 "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    created = {r["name"] for r in json.loads(result.stdout)["resources"] if r["action"] == "create"}
    assert any("web-api" in name for name in created)
    result = cli("diff", "newco-prod", "--base", "HEAD", "--project-dir", str(project), "--account-file", str(account))
    assert result.exit_code == 2 and "--account-file is not for --base" in flat(result)


def test_audit_dr_verify_and_stacks_read_the_project_dir(elsewhere: tuple[Path, Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    project, _ = elsewhere
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    closed = ["--endpoint-url", "http://127.0.0.1:9", "--no-assume-role"]  # nothing listens: fails at the first call
    for command in (["audit"], ["dr", "verify"]):
        result = cli(*command, "newco-prod", *closed)
        assert result.exit_code == 2 and "no stack file stacks/Pulumi.newco-prod.yaml" in flat(result)
        result = cli(*command, "newco-prod", *closed, "--project-dir", str(project))
        assert result.exit_code == 2 and "cannot reach the AWS endpoint" in flat(result), flat(result)
    result = cli("stacks", "--project-dir", str(project))
    assert result.exit_code == 0 and result.stdout == "newco-prod (environment, production)\n"


@pytest.mark.parametrize("command", ["plan", "check", "capacity", "diagram", "diff", "stacks"])
def test_a_project_dir_without_a_project_is_one_message(tmp_path: Path, command: str) -> None:
    args = {"capacity": ["--all"], "diff": ["a", "b"], "stacks": []}.get(command, ["acme-prod"])
    result = cli(command, *args, "--project-dir", str(tmp_path))
    assert result.exit_code == 2
    assert f"--project-dir {tmp_path}: no Pulumi.yaml there; allowed: a Pulumi project directory" in flat(result)


def test_the_pack_config_beside_a_stack_file_comes_first(client_dir: Path, tmp_path: Path) -> None:
    project = load_project()
    beside = load_stack(project, path=client_dir / "Pulumi.newco-prod.yaml")
    assert pack_config_file(project, beside) == client_dir / "policy.newco-prod.json"
    copy = tmp_path / "Pulumi.acme-prod.yaml"  # an edited copy of a committed stack: the committed pack config
    shutil.copy(project.stack_file("acme-prod"), copy)
    committed = project.stack_config_dir / "policy.acme-prod.json"
    assert pack_config_file(project, load_stack(project, path=copy)) == committed


@pytest.mark.parametrize("command", ["plan", "check", "diagram"])
def test_no_stack_and_two_stacks_say_which(command: str) -> None:
    named = f"name a stack (connectctl {command} acme-prod) or a stack file (--config-file PATH)"
    result = cli(command)
    assert result.exit_code == 2 and named in flat(result) and "not both" not in flat(result)
    result = cli(command, "acme-prod", "--config-file", "stacks/Pulumi.acme-prod.yaml")
    assert result.exit_code == 2 and f"{named}, not both" in flat(result)


def test_check_refuses_an_account_file_with_pulumi_files(tmp_path: Path) -> None:
    result = cli("check", "--state", str(tmp_path / "state.json"), "--account-file", str(tmp_path / "a.yaml"))
    assert result.exit_code == 2 and "--account-file is read to plan a stack" in flat(result)


def test_new_is_registered_with_its_options() -> None:
    result = cli("new", "--help")
    assert result.exit_code == 0
    for option in ("--account-id", "--region", "--dr-region", "--cidr", "--env", "--on-prem-cidr", "--dir"):
        assert option in result.stdout
