"""connectctl's exit codes and its one way of failing a command on bad input.

Every command exits `EXIT_OK` (0) when it did what was asked, `1` when it did and found something (violations,
findings, a protected resource touched, a release refused: each command names its own 1), and `EXIT_INVALID` (2)
when it could not: a stack file, pack config, state file or program it could not read or run. `fail` prints the
message as every command does (`error: ...` in red on stderr) and returns the `typer.Exit` to raise.

`input_errors` is the exceptions that mean "the input is wrong", imported only when one is being caught, so that
`connectctl --help` loads none of the engine (tests/connectctl/test_cli_startup.py). `write_document` is the
whole of a command that prints one document, as Markdown or as JSON.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import typer

EXIT_OK, EXIT_FOUND, EXIT_INVALID = 0, 1, 2


class Document(Protocol):
    """What `write_document` prints: anything with a JSON form."""

    def as_json(self) -> dict[str, Any]: ...


D = TypeVar("D", bound=Document)


def report(message: str) -> None:
    """`error: MESSAGE` on stderr, in connectctl's style."""
    from rich.console import Console
    from rich.markup import escape

    Console(emoji=False, stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}")


def fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    """Report `message` and return the exit to raise: `raise fail(...) from None`."""
    report(message)
    return typer.Exit(code)


def input_errors(*more: type[Exception], plan: bool = True) -> tuple[type[Exception], ...]:
    """The exceptions a command turns into `fail`: a project or stack file it cannot read, a stack file that does
    not validate and, with `plan` (the default), a program that fails to run and a pack config that is wrong; then
    `more`, the command's own. Use it in the `except` clause (`except input_errors(DiffError) as exc:`): Python
    evaluates that clause only when an exception reaches it, so the imports below cost nothing on success."""
    from connectctl.engine.project import ProjectError
    from connectctl.plan import ConfigReport

    if not plan:
        return (ProjectError, ConfigReport, *more)
    from connectctl.engine.findings import PackConfigError
    from connectctl.engine.runner import ProgramError

    return (ProjectError, ConfigReport, ProgramError, PackConfigError, *more)


def write_document(build: Callable[[], D], markdown: Callable[[D], str], as_json: bool,
                   *errors: type[Exception]) -> typer.Exit:
    """Build the document (`fail` on `input_errors(*errors)`), print it as JSON (`as_json`) or as its `markdown`
    and return the exit to raise, `EXIT_OK`: `raise write_document(...)`."""
    try:
        document = build()
    except input_errors(*errors) as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(document.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(markdown(document))
    return typer.Exit(EXIT_OK)


__all__ = ["EXIT_FOUND", "EXIT_INVALID", "EXIT_OK", "fail", "input_errors", "report", "write_document"]
