"""Environments pull their images from the client's account stack: what `pulumi up` would find out late,
`connectctl plan` reports up front, naming both stack files, the field path and its line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectctl.plan import ConfigReport, plan_stack
from tests.connectctl.conftest import connectctl, stack_file

ROOT = Path(__file__).resolve().parents[2]
ACME_PROD = (ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text()
ACCOUNT_FILE = "stacks/Pulumi.acme-account.yaml"
DECLARED = "accounts-api, notifications-worker, payments-api"


def line_with(text: str, needle: str) -> int:
    """1-based line of the only line containing `needle`."""
    lines = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


def undeclared(text: str = ACME_PROD, old: str = "accounts-api", new: str = "ledger-api") -> str:
    needle = f"image: {{repository: {old},"
    assert text.count(needle) == 1
    return text.replace(needle, f"image: {{repository: {new},")


def initech(text: str = ACME_PROD) -> str:
    """The acme-prod file as a client that has no account stack file."""
    return text.replace("acme", "initech").replace("111111111111", "333333333333")


def test_undeclared_repository_names_both_files_path_line_and_declared_repositories(tmp_path: Path) -> None:
    text = undeclared()
    path = stack_file(tmp_path, text)
    with pytest.raises(ConfigReport) as caught:
        plan_stack(config_file=path)
    message = str(caught.value)
    line = line_with(text, "repository: ledger-api")
    assert message.splitlines()[0] == f"{path}: invalid stack configuration"
    assert (f"  {path}:{line}: connect:services[1].image.repository: 'ledger-api' is not declared in "
            f"{ACCOUNT_FILE} (connect:registry.repositories); allowed: {DECLARED}") in message.splitlines()
    assert len(message.splitlines()) == 2


def test_every_undeclared_repository_is_reported(tmp_path: Path) -> None:
    text = undeclared(undeclared(), "notifications-worker", "mailer")
    path = stack_file(tmp_path, text)
    with pytest.raises(ConfigReport) as caught:
        plan_stack(config_file=path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert lines[1].startswith(f"  {path}:{line_with(text, 'ledger-api')}: connect:services[1].image.repository: "
                               "'ledger-api' is not declared")
    assert lines[2].startswith(f"  {path}:{line_with(text, 'mailer')}: connect:services[2].image.repository: "
                               "'mailer' is not declared")
    assert all(ACCOUNT_FILE in line and DECLARED in line for line in lines[1:])


def test_cli_exits_2_naming_both_files_without_traceback(tmp_path: Path) -> None:
    text = undeclared()
    path = stack_file(tmp_path, text)
    result = connectctl("plan", "--config-file", str(path))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stderr.startswith("error: ")
    line = line_with(text, "ledger-api")
    assert f"{path}:{line}: connect:services[1].image.repository: 'ledger-api' is not declared in" in result.stderr
    assert ACCOUNT_FILE in result.stderr
    assert f"allowed: {DECLARED}" in result.stderr


def test_missing_account_stack_names_it(tmp_path: Path) -> None:
    path = stack_file(tmp_path, initech(), "initech-prod")
    with pytest.raises(ConfigReport) as caught:
        plan_stack(config_file=path)
    message = str(caught.value)
    assert message.startswith(f"{path}: its services pull from the account stack 'initech-account', which cannot "
                              "be read")
    assert "no stack file stacks/Pulumi.initech-account.yaml for stack 'initech-account'" in message
    assert "acme-account" in message  # the stacks that do exist are listed


def test_cli_missing_account_stack_exits_2_without_traceback(tmp_path: Path) -> None:
    path = stack_file(tmp_path, initech(), "initech-prod")
    result = connectctl("plan", "--config-file", str(path))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert "stacks/Pulumi.initech-account.yaml" in result.stderr
    assert "'initech-account'" in result.stderr


def test_unchanged_copy_plans(tmp_path: Path) -> None:
    """Control: the copy itself is fine, so the failures above come from the one change each makes."""
    plan = plan_stack(config_file=stack_file(tmp_path, ACME_PROD))
    assert plan.config.tenant.client == "acme"
    assert not plan.mandatory


def test_a_repository_name_held_as_a_secret_is_not_printed(tmp_path: Path) -> None:
    """Found by the stack-file fuzzer: a `secure:` value where the repository goes reached this message
    (its stand-in is a valid repository name), and the message quoted it."""
    needle = "image: {repository: accounts-api,"
    text = ACME_PROD.replace(needle, "image: {repository: {secure: v1:cmVwbw==},")
    assert needle not in text
    with pytest.raises(ConfigReport) as caught:
        plan_stack(config_file=stack_file(tmp_path, text))
    message = str(caught.value)
    assert "connect:services[1].image.repository: '[secret]' is not declared" in message
    assert "offline_secret_" not in message
