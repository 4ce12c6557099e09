"""The stack files `connectctl diff` plans: two named ones, or one as of a git revision and in the working tree."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import tempfile
from pathlib import Path

from connectctl.diff.compare import diff_plans
from connectctl.diff.model import StackDiff
from connectctl.engine.project import Project, stack_file_argument
from connectctl.errors import input_errors
from connectctl.plan import Plan, plan_stack


class DiffError(Exception):
    """A problem reported to the user (exit 2): no such stack file, not a git repository, unknown revision..."""


def stack_file_path(project: Project, argument: str) -> Path:
    """A stack name (`acme-prod`: the project's stack file) or a path to a stack file."""
    return stack_file_argument(project, argument, DiffError)


def display_path(project: Project, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(path)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise DiffError("git is not installed (connectctl diff --base reads the stack file at a revision)") from None


def base_stack_files(project: Project, revision: str, into: Path) -> Project:
    """The project as of `revision`: its stack config directory (stack files, pack configs) copied into `into`.

    The whole directory, so the environment stack's account stack and pack config are the ones of that
    revision too. A directory or file absent at the revision is simply not there (its stack was created since).
    """
    if not revision or revision.startswith("-"):
        raise DiffError(f"--base {revision!r}: not a git revision")
    top = _git(project.root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise DiffError(f"{project.root} is not inside a git repository; --base needs one")
    if _git(project.root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").returncode != 0:
        raise DiffError(f"--base {revision!r}: no such commit in {project.root} (a CI checkout needs the base "
                        "commit: actions/checkout with fetch-depth: 0)")
    toplevel = Path(top.stdout.decode().strip())
    try:
        directory = project.stack_config_dir.resolve().relative_to(toplevel.resolve()).as_posix()
    except ValueError:
        raise DiffError(f"{project.stack_config_dir} is outside the git repository {toplevel}") from None
    tree = revision if directory == "." else f"{revision}:{directory}"
    listing = _git(toplevel, "ls-tree", "-z", "--name-only", tree)
    names = listing.stdout.decode().split("\0") if listing.returncode == 0 else []
    for entry in names:
        if re.fullmatch(r"Pulumi\..+\.yaml|policy\..+\.json", entry):
            inside = entry if directory == "." else f"{directory}/{entry}"
            blob = _git(toplevel, "cat-file", "blob", f"{revision}:{inside}")
            if blob.returncode == 0:
                (into / entry).write_bytes(blob.stdout)
    return dataclasses.replace(project, stack_config_dir=into)


def _plan(project: Project, stack: str | None = None, path: Path | None = None,
          account_file: Path | None = None) -> Plan:
    """A stack's plan in update mode: every value known, IDs stable per URN, so inputs compare as values."""
    return plan_stack(stack, config_file=path, preview=False, project=project, account_file=account_file)


def diff_files(project: Project, old: Path, new: Path, account_file: Path | None = None) -> StackDiff:
    """Plan two stack files and compare them (`account_file`, `--account-file`: the account stack of both)."""
    return diff_plans(_plan(project, path=old, account_file=account_file),
                      _plan(project, path=new, account_file=account_file), old_source=display_path(project, old),
                      new_source=display_path(project, new))


def diff_base(project: Project, argument: str, revision: str) -> StackDiff:
    """Plan a stack file as of `revision` and as it is now, and compare them."""
    path = stack_file_path(project, argument)
    if path.resolve().parent != project.stack_config_dir.resolve():
        directory = display_path(project, project.stack_config_dir)
        raise DiffError(f"{argument}: --base compares the project's stack files ({directory}/Pulumi.<stack>.yaml); "
                        "give a stack name or one of those files")
    stack = path.name[len("Pulumi."):-len(".yaml")]
    shown = display_path(project, path)
    with tempfile.TemporaryDirectory(prefix="connectctl-diff-") as tmp:
        base = base_stack_files(project, revision, Path(tmp))  # git problems first, before any planning
        new = _plan(project, stack)
        try:
            old = _plan(base, stack) if base.stack_file(stack).is_file() else None
        except input_errors() as exc:
            message = str(exc).replace(tmp, f"{revision}:{Path(shown).parent}")
            raise DiffError(f"{shown} at {revision}: {message}") from None
        return diff_plans(old, new, old_source=f"{shown} at {revision}" + ("" if old else " (absent)"),
                          new_source=f"{shown} (working tree)")  # inside: the old plan's stack file is read
