"""`connectctl stacks`: which stacks a change affects, as the matrix of the CI workflows.

The pull-request and main workflows (`.github/workflows/`) check, preview and deploy only the stacks a
change touches. Which ones that is depends on facts only this project knows (shared code reaches every
stack; an account stack's outputs reach its client's environments through a `StackReference`), so the
rule lives here, tested, rather than in shell inside YAML.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from components.config import ORGANIZATION, PRODUCTION_ENVIRONMENTS
from connectctl.engine.project import Project, ProjectError, load_project_dir
from connectctl.errors import fail

# Paths (relative to the project root) every stack is built from: a change to any of them affects all stacks.
SHARED_PATHS = ("components/", "policies/", "__main__.py", "Pulumi.yaml", "uv.lock", "pyproject.toml")
# What the Pulumi CLI accepts as a stack name; the name also reaches shell commands in the workflows.
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}\Z", re.ASCII)
DEFAULT_ORGANIZATION = "organization"  # the default of connect:tenant.organization


class Scope(StrEnum):
    """Kinds of stack: the account stack of a client, or one of its environments."""

    account = "account"
    environment = "environment"


class StacksFormat(StrEnum):
    """Output formats of `stacks`."""

    text = "text"
    json = "json"
    github = "github"


class WorkflowError(Exception):
    """A problem reported to the user (exit 2): not a git repository, unknown ref, bad stack name..."""


@dataclass(frozen=True)
class StackInfo:
    """What the workflows need to know about one stack, read from its stack file."""

    stack: str
    organization: str
    client: str | None
    scope: Scope
    environment: str | None
    region: str | None
    readable: bool  # False: the file (or its connect:tenant) could not be read; the check job reports why

    @property
    def own_production(self) -> bool:
        """Production by its own environment name; an unreadable file counts as production (fail safe)."""
        return not self.readable or self.environment in PRODUCTION_ENVIRONMENTS


def read_stack(project: Project, stack: str) -> StackInfo:
    """The stack's tenant facts, read leniently: validation is `connectctl check`'s job, not the matrix's."""
    tenant: Any = None
    region: Any = None
    try:
        data = yaml.safe_load(project.stack_file(stack).read_text(encoding="utf-8"))
        config = data.get("config") if isinstance(data, dict) else None
        if isinstance(config, dict):
            tenant, region = config.get("connect:tenant"), config.get("aws:region")
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        pass
    if not isinstance(tenant, dict):
        return StackInfo(stack, DEFAULT_ORGANIZATION, None, Scope.environment, None, None, readable=False)
    organization = tenant.get("organization", DEFAULT_ORGANIZATION)
    client, environment = tenant.get("client"), tenant.get("environment")
    return StackInfo(
        stack=stack,
        organization=organization if isinstance(organization, str) and ORGANIZATION.match(organization)
        else DEFAULT_ORGANIZATION,
        client=client if isinstance(client, str) else None,
        scope=Scope.account if tenant.get("scope") == "account" else Scope.environment,
        environment=environment if isinstance(environment, str) else None,
        region=region if isinstance(region, str) else None,
        readable=True,
    )


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False,
                              timeout=120)
    except FileNotFoundError:
        raise WorkflowError("git is not installed (connectctl stacks --changed-since runs git diff)") from None


def changed_files(root: Path, ref: str) -> list[str]:
    """Paths (relative to `root`) changed between the merge base of `ref` and HEAD, deletions included.

    Three dots, as a pull request's diff: the changes of this branch, not those `ref` made since.
    `--no-renames` lists a renamed stack file under its old (deleted) and its new name.
    """
    if not ref or ref.startswith("-"):
        raise WorkflowError(f"--changed-since {ref!r}: not a git revision")
    if _git(root, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise WorkflowError(f"{root} is not inside a git repository; --changed-since needs one")
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise WorkflowError(f"--changed-since {ref!r}: no such commit in {root} (a CI checkout needs its history: "
                            "actions/checkout with fetch-depth: 0)")
    diff = _git(root, "diff", "--name-only", "--no-renames", "--relative", "-z", f"{ref}...HEAD")
    if diff.returncode != 0:
        raise WorkflowError(f"git diff {ref}...HEAD failed: {diff.stderr.strip()}")
    return [path for path in diff.stdout.split("\0") if path]


def _is_shared(path: str) -> bool:
    return any(path == shared or (shared.endswith("/") and path.startswith(shared)) for shared in SHARED_PATHS)


def affected_stacks(project: Project, changed: list[str]) -> list[str]:
    """Stacks the changed paths affect, among those whose stack file still exists.

    A stack is affected by its stack file or its pack config (`policy.<stack>.json`); every stack by shared
    code. A changed account stack file also affects its client's environments, which read the account
    stack's outputs. A deleted stack file is not listed: there is nothing left to preview or deploy.
    """
    existing = project.stacks()
    if any(_is_shared(path) for path in changed):
        return existing
    try:
        directory = project.stack_config_dir.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        raise WorkflowError(f"{project.root / 'Pulumi.yaml'}: stackConfigDir {project.stack_config_dir} is outside "
                            "the project; git diff --relative cannot see its changes") from None
    prefix = "" if directory == "." else f"{directory}/"
    stack_file = re.compile(rf"{re.escape(prefix)}Pulumi\.(.+)\.yaml")
    pack_config = re.compile(rf"{re.escape(prefix)}policy\.(.+)\.json")
    affected: set[str] = set()
    changed_stack_files: set[str] = set()
    for path in changed:
        if match := stack_file.fullmatch(path):
            affected.add(match.group(1))
            changed_stack_files.add(match.group(1))
        elif match := pack_config.fullmatch(path):
            affected.add(match.group(1))
    infos = {stack: read_stack(project, stack) for stack in existing}
    for stack in changed_stack_files:
        info = infos.get(stack)
        if info is not None and info.scope is Scope.account:
            client: str | None = info.client
        elif info is None and stack.endswith("-account"):  # deleted: `<client>-account` by convention
            client = stack.removesuffix("-account")
        else:
            continue
        affected |= {s for s, i in infos.items() if i.client == client and i.scope is Scope.environment}
    return sorted(affected & set(existing))


def matrix(project: Project, stacks: list[str], scope: Scope | None = None) -> dict[str, list[dict[str, Any]]]:
    """`{"include": [...]}` for `strategy.matrix: ${{ fromJSON(...) }}`, account stacks first.

    `production` gates the deploy behind the `production` environment's approval. An account stack is
    production when any stack of its client is: its registry serves the production images.
    """
    infos = {stack: read_stack(project, stack) for stack in project.stacks()}
    production_clients = {i.client for i in infos.values() if i.own_production and i.scope is Scope.environment}
    include: list[dict[str, Any]] = []
    for stack in sorted(stacks, key=lambda s: (infos[s].scope is not Scope.account, s)):
        info = infos[stack]
        if not STACK_NAME.match(stack):
            shown = os.path.relpath(project.stack_file(stack), project.root)
            raise WorkflowError(f"{shown}: {stack!r} is not a Pulumi stack name; allowed: 1-100 letters, digits, "
                                "'-', '_' and '.'")
        if scope is not None and info.scope is not scope:
            continue
        production = info.own_production or (info.scope is Scope.account and info.client in production_clients)
        include.append({"stack": stack, "organization": info.organization, "client": info.client,
                        "scope": info.scope.value, "region": info.region, "production": production})
    return {"include": include}


def stacks(
    changed_since: Annotated[str | None, typer.Option(
        "--changed-since", metavar="REF",
        help="Only the stacks affected by the changes from the merge base of REF to HEAD (git diff REF...HEAD).",
    )] = None,
    scope: Annotated[Scope | None, typer.Option("--scope", help="Only account or only environment stacks.")] = None,
    output: Annotated[StacksFormat, typer.Option(
        "--format", help="text (one stack a line), json (a GitHub Actions matrix) or github (matrix= and count= "
        "lines for $GITHUB_OUTPUT).",
    )] = StacksFormat.text,
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) to read; default: this checkout.",
    )] = None,
) -> None:
    """List the stacks, or those a change affects: the matrix of the CI workflows."""
    try:
        project = load_project_dir(project_dir)
        names = project.stacks() if changed_since is None else affected_stacks(
            project, changed_files(project.root, changed_since))
        result = matrix(project, names, scope)
    except (ProjectError, WorkflowError) as exc:
        raise fail(str(exc)) from None
    document = json.dumps(result)
    if output is StacksFormat.json:
        sys.stdout.write(document + "\n")
    elif output is StacksFormat.github:
        sys.stdout.write(f"matrix={document}\ncount={len(result['include'])}\n")
    else:
        for entry in result["include"]:
            flags = ", production" if entry["production"] else ""
            sys.stdout.write(f"{entry['stack']} ({entry['scope']}{flags})\n")


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(name="stacks")(stacks)
