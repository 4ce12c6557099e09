"""`connectctl diff`'s output: text for a terminal or a log, markdown for a pull-request comment."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.markup import escape

from connectctl.diff.model import ABSENT, Action, Change, ResourceDiff, StackDiff
from connectctl.plan import SECRET, UNKNOWN


class DiffFormat(StrEnum):
    """Output formats of `diff`."""

    text = "text"
    json = "json"
    markdown = "markdown"


def _value(value: Any, limit: int = 0) -> str:
    if value is ABSENT:
        return "(none)"
    text = value if isinstance(value, str) and value in (SECRET, UNKNOWN) else json.dumps(value, sort_keys=True)
    return text if not limit or len(text) <= limit else text[:limit - 1] + "…"


def _change_text(change: Change, limit: int = 0) -> str:
    line = f"{change.path}: {_value(change.old, limit)} -> {_value(change.new, limit)}"
    if change.waits_for:
        line += f" (takes the new {', '.join(urn.rsplit('::', 1)[-1] for urn in change.waits_for)})"
    return line + (" [forces replacement]" if change.forces_replacement else "")


TEXT_VALUES = 160  # characters of a value shown in text (json has them whole)
HEADINGS = {Action.replace: "Replaced", Action.delete: "Deleted", Action.update: "Updated", Action.create: "Created"}
SIGNS = {Action.replace: "+-", Action.delete: "-", Action.update: "~", Action.create: "+"}


def _flags(resource: ResourceDiff) -> str:
    flags = [flag for flag, on in (("protected", resource.protect), ("retained on delete", resource.retain_on_delete))
             if on]
    return f" ({', '.join(flags)})" if flags else ""


def render_text(result: StackDiff, console: Console) -> None:
    """Protected replacements and deletions first (red), then replaced, deleted, updated, created; then counts."""
    console.print(f"[bold]Diff of {escape(result.project)}/{escape(result.stack)}[/]: {escape(result.old_source)} "
                  f"-> {escape(result.new_source)} (offline plans, update mode)")

    def show(resource: ResourceDiff, style: str) -> None:
        console.print(f"  [{style}]{SIGNS[resource.action]} {resource.action.value:<7} {escape(resource.name)}[/] "
                      f"[dim]{escape(resource.type)}[/]{escape(_flags(resource))}")
        for reason in resource.reasons:
            console.print(f"      [dim]because {escape(reason)}[/]")
        for change in resource.changes:
            console.print(f"      {escape(_change_text(change, TEXT_VALUES))}")

    if result.blocked:
        console.print(f"[bold red]Protected resources replaced or deleted ({len(result.blocked)}): pulumi up stops "
                      "at them; unprotect them on purpose, or change the stack file[/]")
        for resource in result.blocked:
            show(resource, "bold red")
    if result.stranded:
        console.print(f"[bold red]Instances left in a removed zone ({len(result.stranded)}): pulumi up would fail[/]")
        for message in result.stranded:
            console.print(f"  [bold red]! {escape(message)}[/]")
    styles = {Action.replace: "magenta", Action.delete: "red", Action.update: "yellow", Action.create: "green"}
    for action in Action:
        group = result.of(action)
        if group:
            console.print(f"[bold]{HEADINGS[action]} ({len(group)})[/]")
            for resource in group:
                show(resource, styles[action])
    console.print(_summary(result, "[red]BLOCKED[/]", "[green]OK[/]"))


def _summary(result: StackDiff, blocked: str, ok: str) -> str:
    c = result.counts()
    reasons = [f"{c['protected']} protected resource(s) replaced or deleted"] if c["protected"] else []
    reasons += [f"{c['stranded']} instance(s) left in a removed zone"] if c["stranded"] else []
    verdict = f"{blocked}: {', '.join(reasons)}" if reasons else ok
    return (f"{verdict}: {c['replace']} to replace, {c['delete']} to delete, {c['update']} to update, "
            f"{c['create']} to create, {c['same']} unchanged")


def _md(text: str) -> str:
    """Inline code in a markdown table cell: no backticks or pipes left to break it."""
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


MARKDOWN_CHANGES = 4  # changed properties shown per resource in markdown; the rest counted
MARKDOWN_ROWS = 40  # resources listed per action in markdown (protected ones always all): a comment is 64 KiB


def _md_change(change: Change) -> str:
    """A change in a markdown cell: values for what the stack file changed, the cause for what a replacement does."""
    if change.waits_for:
        causes = ", ".join(urn.rsplit("::", 1)[-1] for urn in change.waits_for)
        text = f"{_md(change.path)} takes the new {_md(causes)}"
    else:
        text = f"{_md(change.path)}: {_md(_value(change.old, 40))} → {_md(_value(change.new, 40))}"
    return text + (" **forces replacement**" if change.forces_replacement else "")


def render_markdown(result: StackDiff) -> str:
    """For a pull-request comment: counts, protected resources in a caution block, each action in a table."""
    c = result.counts()
    lines = [f"### `connectctl diff` of `{result.stack}`: "
             + (f"{c['protected']} protected resource(s) replaced or deleted" if c["protected"] else
                "no protected resource replaced or deleted"),
             "", f"{_md(result.old_source)} → {_md(result.new_source)}: offline plans of both stack files with "
             "the same code", "",
             "| replace | delete | update | create | unchanged |", "|---:|---:|---:|---:|---:|",
             f"| {c['replace']} | {c['delete']} | {c['update']} | {c['create']} | {c['same']} |", ""]

    def table(resources: list[ResourceDiff], limit: int | None) -> list[str]:
        rows = ["| | resource | type | changes |", "|---|---|---|---|"]
        for r in resources[:limit]:
            shown = [_md_change(ch) for ch in r.changes[:MARKDOWN_CHANGES]]
            if len(r.changes) > MARKDOWN_CHANGES:
                shown.append(f"+{len(r.changes) - MARKDOWN_CHANGES} more")
            if r.action is Action.replace and not any(ch.forces_replacement for ch in r.changes):
                shown[:0] = [f"because {_md(reason)}" for reason in r.reasons[:1]]
            rows.append(f"| {r.action.value} | {_md(r.name)}{_flags(r)} | {_md(r.type)} | {'<br>'.join(shown)} |")
        if limit is not None and len(resources) > limit:
            rows.append(f"| … | {len(resources) - limit} more | | all of them: `connectctl diff` (text or json) |")
        return rows

    if result.blocked:
        lines += ["> [!CAUTION]", "> Protected resources would be replaced or deleted: `pulumi up` stops at them. "
                  "Unprotect them on purpose, or change the stack file.", ""]
        lines += [*table(result.blocked, None), ""]
    if result.stranded:
        lines += ["> [!CAUTION]", "> Instances would be left in a removed zone: `pulumi up` would fail.", ">",
                  *[f"> - {message.replace('|', '/')}" for message in result.stranded], ""]
    for action in Action:
        group = result.of(action)
        if group:
            opened = " open" if action is not Action.create and len(group) <= MARKDOWN_ROWS else ""
            lines += [f"<details{opened}><summary>{HEADINGS[action]} ({len(group)})</summary>", "",
                      *table(group, MARKDOWN_ROWS), "", "</details>", ""]
    if not result.resources:
        lines += ["No changes.", ""]
    return "\n".join(lines)
