"""The command line as users meet it: exit codes, messages, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from connectctl.engine.project import load_project, load_stack
from connectctl.engine.runner import ProgramError, main_program, run_program
from tests.connectctl.conftest import connectctl, stack_file

ROOT = Path(__file__).resolve().parents[2]
ACME = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())


def with_network(**changes: object) -> str:
    doc = json.loads(json.dumps(ACME))
    doc["config"]["connect:network"].update(changes)
    return yaml.safe_dump(doc)


def test_plan_text_passes() -> None:
    result = connectctl("plan", "acme-prod")
    assert result.returncode == 0, result.stderr
    assert "connect:network:TenantNetwork network" in result.stdout
    assert "aws:ec2/subnet:Subnet x9" in result.stdout
    assert "PASS" in result.stdout


def test_plan_json_matches_the_acceptance_criteria() -> None:
    result = connectctl("plan", "acme-prod", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    types = [r["type"] for r in doc["resources"] if "connect:dr:DisasterRecovery$" not in r["urn"]]
    assert types.count("aws:ec2/subnet:Subnet") == 9
    assert types.count("aws:ec2/natGateway:NatGateway") == 3
    assert types.count("aws:ec2/flowLog:FlowLog") == 1
    eips = [r for r in doc["resources"] if r["type"] == "aws:ec2/eip:Eip" and "DisasterRecovery$" not in r["urn"]]
    assert len(eips) == 3 and all(e["protect"] for e in eips)
    assert doc["summary"]["mandatory"] == 0


def test_invalid_stack_file_exits_2_with_path_and_allowed_values(tmp_path: Path) -> None:
    path = stack_file(tmp_path, with_network(cidr="10.40.0.0/8", natGateways="many"))
    result = connectctl("plan", "--config-file", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert str(path) in result.stderr
    assert "connect:network.cidr" in result.stderr and "/16 to /20" in result.stderr
    assert "connect:network.natGateways" in result.stderr and "'perAz' or 'single'" in result.stderr
    assert result.stdout == ""


def test_errors_carry_the_line_of_the_field(tmp_path: Path) -> None:
    text = (ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text()
    text = text.replace("cidr: 10.40.0.0/16", "cidr: 10.40.0.0/24")
    path = stack_file(tmp_path, text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "cidr:" in row)
    result = connectctl("plan", "--config-file", str(path))
    assert result.returncode == 2
    assert f"{path}:{line}: connect:network.cidr" in result.stderr.replace("\n", "")


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    """The line where the '{' opens (PyYAML reports the end of the file, line 4), in our words."""
    path = stack_file(tmp_path, "config:\n  aws:region: us-east-1\n  connect:tenant: {client: acme\n")
    result = connectctl("plan", "--config-file", str(path))
    assert result.returncode == 2
    error = result.stderr.replace("\n", "")
    assert f"{path}:3:19: YAML error: the '{{' opened here is never closed" in error
    assert "(in connect:tenant)" in error and "close it with '}'" in error
    assert "Traceback" not in result.stderr


def test_unknown_stack_lists_the_known_ones() -> None:
    result = connectctl("plan", "nobody-prod")
    assert result.returncode == 2
    assert "acme-prod" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["plan"], ["plan", "acme-prod", "--config-file", "x.yaml"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert connectctl(*args).returncode == 2


def test_mandatory_violation_exits_1(tmp_path: Path) -> None:
    path = stack_file(tmp_path, with_network(flowLogs={"retentionDays": 30}))
    result = connectctl("plan", "--config-file", str(path), "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["summary"]["mandatory"] >= 1
    assert {v["policy"] for v in doc["violations"] if v["level"] == "mandatory"} == {"log-group-encrypted-retained"}


def test_program_refuses_bad_config_and_declares_nothing(tmp_path: Path) -> None:
    """Under a real `pulumi up` the program itself validates: RunError, no resource declared."""
    project = load_project()
    bad = load_stack(project, path=stack_file(tmp_path, with_network(cidr="8.8.0.0/16")))
    with pytest.raises(ProgramError) as caught:
        run_program(main_program(project.main), project="connect", stack="acme-prod",
                    config=bad.program_config(), secret_keys=[], preview=True, region="us-east-1",
                    account_id="111111111111", root=project.root)
    assert "connect:network.cidr" in str(caught.value) and "not a private block" in str(caught.value)
    assert "stacks/Pulumi.acme-prod.yaml" in str(caught.value)
    assert caught.value.declared == []


def test_only_audit_runs_import_the_aws_sdk() -> None:
    """boto3 and botocore's session and config cost about a second to import: `plan`, `check` and `--help` never
    pay it; the audit imports them when it opens a session."""
    code = ("import sys, connectctl.cli; "
            "print(sorted(m for m in ('boto3', 'botocore.session', 'botocore.config') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=True)
    assert result.stdout.strip() == "[]", result.stdout
    from connectctl.audit.context import client_config

    config = client_config()
    assert (config.connect_timeout, config.read_timeout) == (10, 60)  # type: ignore[attr-defined]
    assert config is client_config()


def test_every_console_prints_arns_as_written() -> None:
    """Rich turns `:secret:` (in every Secrets Manager ARN) into an emoji unless told not to."""
    import re
    from pathlib import Path

    from rich.console import Console

    root = Path(__file__).resolve().parents[2] / "connectctl"
    plain = [f"{p.relative_to(root)}:{n}" for p in sorted(root.rglob("*.py"))
             for n, line in enumerate(p.read_text().splitlines(), 1)
             if re.search(r"\bConsole\((?!emoji=False)", line)]
    assert plain == []
    console = Console(emoji=False, record=True, width=200)
    console.print("arn:aws:secretsmanager:us-east-1:111111111111:secret:acme/prod/payments-db-Xy7Q2m")
    assert ":secret:acme/prod/payments-db-Xy7Q2m" in console.export_text()


@pytest.mark.parametrize(("typo", "right", "message"), [
    ("conect:alerts", "connect:alerts", "unknown namespace 'conect': nothing reads this key; did you mean "
                                        "'connect:alerts'?"),
    ("aws:regoin", "aws:region", "the AWS provider has no setting 'regoin'; did you mean 'aws:region'?"),
])
def test_a_typo_in_a_top_level_key_is_refused_with_its_line(tmp_path: Path, typo: str, right: str,
                                                              message: str) -> None:
    """One letter off used to drop the whole section silently (a production stack lost its paging)."""
    text = (ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text()
    if right == "aws:region":
        text = text.replace("  aws:region: us-east-1\n", "  aws:region: us-east-1\n  aws:regoin: us-west-2\n", 1)
    else:
        text = text.replace(f"  {right}:", f"  {typo}:", 1)
    assert typo in text
    path = stack_file(tmp_path, text)
    result = connectctl("plan", "--config-file", str(path))
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith(f"  {typo}:"))
    flat = " ".join(result.stderr.split())
    assert f"{path}:{line}: {typo}: {message}" in flat


def test_the_aws_settings_come_from_the_installed_provider() -> None:
    from components.config import aws_provider_keys

    keys = aws_provider_keys()
    assert {"region", "profile", "allowedAccountIds", "assumeRoles", "defaultTags"} <= set(keys)
    assert "regoin" not in keys and len(keys) > 30
