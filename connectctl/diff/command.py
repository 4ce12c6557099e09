"""The `connectctl diff` command (registered on the main app by `register`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from connectctl.diff.render import DiffFormat, render_markdown, render_text
from connectctl.diff.stackfiles import DiffError, diff_base, diff_files, stack_file_path
from connectctl.engine.project import load_project_dir
from connectctl.errors import EXIT_FOUND, EXIT_OK, fail, input_errors

EXIT_PROTECTED = EXIT_FOUND


def diff(
    old: Annotated[str, typer.Argument(
        metavar="OLD", help="Stack name (stacks/Pulumi.<stack>.yaml) or stack file; with --base, the stack to diff.")],
    new: Annotated[str | None, typer.Argument(
        metavar="[NEW]", help="Stack name or stack file to compare OLD with (not with --base).")] = None,
    base: Annotated[str | None, typer.Option(
        "--base", metavar="REV", help="Compare the stack file as of git revision REV with the working tree.")] = None,
    output: Annotated[DiffFormat, typer.Option(
        "--format", help="text, json (the documented document) or markdown (for a pull-request comment).")] = (
        DiffFormat.text),
    project_dir: Annotated[Path | None, typer.Option(
        "--project-dir", help="The project (Pulumi.yaml) to read; default: this checkout.")] = None,
    account_file: Annotated[Path | None, typer.Option(
        "--account-file", help="The client's account stack file, read by both plans (not with --base). Default: "
        "Pulumi.<client>-account.yaml beside each stack file, else in the project's stacks.")] = None,
) -> None:
    """What a stack-file change does: resources created, deleted, updated and replaced, protected ones first."""
    try:
        project = load_project_dir(project_dir)
        if base is not None:
            if new is not None:
                raise DiffError("with --base REV name one stack (connectctl diff acme-prod --base main), not two")
            if account_file is not None:
                raise DiffError("--account-file is not for --base: each side reads the account stack of its own "
                                "revision (the project's stacks at REV, and now)")
            result = diff_base(project, old, base)
        else:
            if new is None:
                raise DiffError("name two stack files (connectctl diff OLD NEW), or one stack and --base REV")
            result = diff_files(project, stack_file_path(project, old), stack_file_path(project, new), account_file)
    except input_errors(DiffError) as exc:
        raise fail(str(exc)) from None
    if output is DiffFormat.json:
        sys.stdout.write(json.dumps(result.as_json(), indent=2) + "\n")
    elif output is DiffFormat.markdown:
        sys.stdout.write(render_markdown(result))
    else:
        render_text(result, Console(emoji=False, highlight=False,
                                    soft_wrap=not sys.stdout.isatty()))  # logs: one line each
    raise typer.Exit(EXIT_PROTECTED if result.failing else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(name="diff")(diff)
