"""The output formats of the commands defined in `connectctl/cli.py`.

In a module of their own because typer reads a command's option types when it builds the command line, and
the modules that render the formats import rich, the plan engine and the pack: `connectctl --help` needs only
these enumerations.
"""

from __future__ import annotations

from enum import StrEnum


class PlanFormat(StrEnum):
    """Output formats of `plan`."""

    text = "text"
    json = "json"
    tfplan = "tfplan"


class CheckFormat(StrEnum):
    """Output formats of `check`."""

    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


class CatalogueFormat(StrEnum):
    """Output formats of `guardrails`."""

    text = "text"
    json = "json"
    markdown = "markdown"
