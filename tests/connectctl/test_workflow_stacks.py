"""`connectctl stacks --changed-since REF`: the affected stacks, computed in a real git repository.

Each test copies the project's stack files (and stand-ins for the shared code) into a fresh repository,
commits them on `main`, changes something on a branch and reads the matrix the workflows would get.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectctl import cli

ROOT = Path(__file__).resolve().parents[2]
ALL = ["acme-account", "globex-account", "acme-prod", "acme-staging", "globex-prod"]  # accounts first
SHARED_FILES = ["components/network.py", "policies/PulumiPolicy.yaml", "__main__.py", "Pulumi.yaml", "uv.lock",
                "pyproject.toml"]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
         "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository holding the project file, the stack files and stand-ins for the shared code, on `main`."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "stacks", repo / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", repo / "Pulumi.yaml")
    for name in [*SHARED_FILES[:-1], "README.md", "connectctl/cli.py"]:
        if not (repo / name).exists():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text("# stand-in\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "connect"\n')
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "change")
    return repo


def commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "change")


def edit(repo: Path, name: str) -> None:
    """A change git sees (a trailing newline: still valid YAML, JSON and Python)."""
    path = repo / name
    path.write_text(path.read_text() + "\n")


def stacks(repo: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli.app, ["stacks", "--project-dir", str(repo), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def affected(repo: Path, ref: str = "main", *args: str) -> list[str]:
    matrix = json.loads(stacks(repo, "--changed-since", ref, "--format", "json", *args))
    return [entry["stack"] for entry in matrix["include"]]


def fails(repo: Path, *args: str) -> str:
    result = CliRunner().invoke(cli.app, ["stacks", "--project-dir", str(repo), *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_no_change_affects_nothing(repo: Path) -> None:
    commit(repo)
    assert affected(repo) == []
    assert stacks(repo, "--changed-since", "main", "--format", "github") == 'matrix={"include": []}\ncount=0\n'


def test_a_stack_file_affects_its_stack(repo: Path) -> None:
    edit(repo, "stacks/Pulumi.acme-staging.yaml")
    commit(repo)
    assert json.loads(stacks(repo, "--changed-since", "main", "--format", "json")) == {"include": [{
        "stack": "acme-staging", "organization": "organization", "client": "acme", "scope": "environment",
        "region": "us-east-1", "production": False,
    }]}


def test_a_pack_config_affects_its_stack(repo: Path) -> None:
    edit(repo, "stacks/policy.globex-prod.json")
    commit(repo)
    assert affected(repo) == ["globex-prod"]


def test_an_account_stack_file_affects_its_clients_environments(repo: Path) -> None:
    edit(repo, "stacks/Pulumi.acme-account.yaml")
    commit(repo)
    assert affected(repo) == ["acme-account", "acme-prod", "acme-staging"]  # not globex's
    assert affected(repo, "main", "--scope", "account") == ["acme-account"]
    assert affected(repo, "main", "--scope", "environment") == ["acme-prod", "acme-staging"]


def test_an_account_pack_config_affects_only_the_account_stack(repo: Path) -> None:
    """The pack config changes what is checked, not the account stack's outputs the environments read."""
    edit(repo, "stacks/policy.acme-account.json")
    commit(repo)
    assert affected(repo) == ["acme-account"]


@pytest.mark.parametrize("name", SHARED_FILES)
def test_shared_code_affects_every_stack(repo: Path, name: str) -> None:
    edit(repo, name)
    commit(repo)
    assert affected(repo) == ALL


def test_other_files_affect_nothing(repo: Path) -> None:
    edit(repo, "README.md")
    edit(repo, "connectctl/cli.py")
    (repo / "stacks" / "notes.txt").write_text("not a stack\n")
    commit(repo)
    assert affected(repo) == []


def test_a_new_stack_is_affected(repo: Path) -> None:
    text = (repo / "stacks" / "Pulumi.globex-prod.yaml").read_text()
    (repo / "stacks" / "Pulumi.globex-staging.yaml").write_text(text.replace("environment: prod",
                                                                              "environment: staging"))
    commit(repo)
    [entry] = json.loads(stacks(repo, "--changed-since", "main", "--format", "json"))["include"]
    assert entry["stack"] == "globex-staging" and entry["production"] is False and entry["region"] == "eu-west-1"


def test_deleted_stacks_are_not_listed(repo: Path) -> None:
    git(repo, "rm", "-q", "stacks/Pulumi.acme-staging.yaml", "stacks/policy.acme-staging.json")
    commit(repo)
    assert affected(repo) == []


def test_a_deleted_account_stack_still_affects_its_environments(repo: Path) -> None:
    git(repo, "rm", "-q", "stacks/Pulumi.globex-account.yaml")
    commit(repo)
    assert affected(repo) == ["globex-prod"]


def test_a_renamed_stack_is_listed_under_its_new_name(repo: Path) -> None:
    git(repo, "mv", "stacks/Pulumi.acme-staging.yaml", "stacks/Pulumi.acme-qa.yaml")
    git(repo, "mv", "stacks/policy.acme-staging.json", "stacks/policy.acme-qa.json")
    commit(repo)
    assert affected(repo) == ["acme-qa"]


def test_changes_on_main_since_the_branch_point_are_not_the_branchs(repo: Path) -> None:
    """Three dots: a pull request previews its own changes, not those merged to main meanwhile."""
    edit(repo, "stacks/Pulumi.acme-staging.yaml")
    commit(repo)
    git(repo, "checkout", "-q", "main")
    edit(repo, "stacks/Pulumi.globex-prod.yaml")
    commit(repo)
    git(repo, "checkout", "-q", "change")
    assert affected(repo) == ["acme-staging"]


def test_changes_across_several_commits_add_up(repo: Path) -> None:
    """Main: `--changed-since` the head before a push of several commits."""
    before = git(repo, "rev-parse", "HEAD").strip()
    edit(repo, "stacks/Pulumi.acme-staging.yaml")
    commit(repo)
    edit(repo, "stacks/policy.globex-prod.json")
    commit(repo)
    assert affected(repo, before) == ["acme-staging", "globex-prod"]
    assert affected(repo, "HEAD~1") == ["globex-prod"]


def test_production_and_organization_come_from_the_stack_files(repo: Path) -> None:
    path = repo / "stacks" / "Pulumi.acme-staging.yaml"
    path.write_text(path.read_text().replace("    client: acme\n", "    client: acme\n    organization: acme-corp\n"))
    commit(repo)
    include = json.loads(stacks(repo, "--format", "json"))["include"]
    production = {entry["stack"]: entry["production"] for entry in include}
    # Accounts are production when their client has a production environment: its registry serves it.
    assert production == {"acme-account": True, "globex-account": True, "acme-prod": True, "acme-staging": False,
                          "globex-prod": True}
    assert {e["stack"]: e["organization"] for e in include}["acme-staging"] == "acme-corp"
    assert [e["scope"] for e in include] == ["account", "account", "environment", "environment", "environment"]


def test_an_account_without_a_production_environment_is_not_production(repo: Path) -> None:
    git(repo, "rm", "-q", "stacks/Pulumi.acme-prod.yaml")
    commit(repo)
    include = json.loads(stacks(repo, "--format", "json"))["include"]
    assert {e["stack"]: e["production"] for e in include}["acme-account"] is False


def test_an_unreadable_stack_file_is_listed_as_production(repo: Path) -> None:
    """The check job says what is wrong with it; until then it is treated as the riskiest kind."""
    (repo / "stacks" / "Pulumi.acme-staging.yaml").write_text("config: [not: a mapping\n")
    commit(repo)
    [entry] = json.loads(stacks(repo, "--changed-since", "main", "--format", "json"))["include"]
    assert entry == {"stack": "acme-staging", "organization": "organization", "client": None,
                     "scope": "environment", "region": None, "production": True}


def test_text_and_github_formats(repo: Path) -> None:
    edit(repo, "stacks/Pulumi.globex-account.yaml")
    commit(repo)
    assert stacks(repo, "--changed-since", "main") == "globex-account (account, production)\nglobex-prod " \
                                                      "(environment, production)\n"
    output = stacks(repo, "--changed-since", "main", "--format", "github", "--scope", "environment").splitlines()
    assert output[0].startswith("matrix=") and output[1:] == ["count=1"]
    assert json.loads(output[0].removeprefix("matrix="))["include"][0]["stack"] == "globex-prod"


def test_this_project_lists_every_stack() -> None:
    result = CliRunner().invoke(cli.app, ["stacks", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [e["stack"] for e in json.loads(result.stdout)["include"]] == ALL


def test_not_a_git_repository(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    assert "is not inside a git repository" in fails(tmp_path, "--changed-since", "main")


def test_an_unknown_ref(repo: Path) -> None:
    message = fails(repo, "--changed-since", "origin/main")
    assert "'origin/main': no such commit" in message and "fetch-depth: 0" in message
    assert "no such commit" in fails(repo, "--changed-since", "0000000000000000000000000000000000000000")


def test_a_ref_that_looks_like_an_option(repo: Path) -> None:
    assert "not a git revision" in fails(repo, "--changed-since=--output=/tmp/x")


def test_no_project(tmp_path: Path) -> None:
    assert (f"--project-dir {tmp_path}: no Pulumi.yaml there; allowed: a Pulumi project directory"
            in fails(tmp_path, "--changed-since", "main"))


def test_a_stack_file_name_that_is_no_stack_name(repo: Path) -> None:
    shutil.copy(repo / "stacks" / "Pulumi.acme-staging.yaml", repo / "stacks" / "Pulumi.acme $(id).yaml")
    commit(repo)
    assert "stacks/Pulumi.acme $(id).yaml: 'acme $(id)' is not a Pulumi stack name" in fails(
        repo, "--changed-since", "main")


def test_without_git(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-such-dir"))
    assert "git is not installed" in fails(repo, "--changed-since", "main")


def test_a_project_in_a_subdirectory_of_the_repository(tmp_path: Path) -> None:
    """Paths are taken relative to the project (git diff --relative): changes elsewhere in the repo are not its."""
    repo = tmp_path / "mono"
    shutil.copytree(ROOT / "stacks", repo / "infra" / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", repo / "infra" / "Pulumi.yaml")
    (repo / "other" / "components").mkdir(parents=True)
    (repo / "other" / "components" / "x.py").write_text("# another project's\n")
    git(repo, "init", "-q", "-b", "main")
    commit(repo)
    edit(repo, "other/components/x.py")
    edit(repo, "infra/stacks/Pulumi.acme-staging.yaml")
    commit(repo)
    assert affected(repo / "infra", "HEAD~1") == ["acme-staging"]
