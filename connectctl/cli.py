"""`connectctl`: the platform team's command line (offline plan, schema, and more to come).

Exit codes everywhere: 0 = fine, 1 = mandatory policy violations, 2 = invalid input or usage.
Errors are one clear message on stderr, never a Python traceback.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from components.config import stack_config_schema
from connectctl import audit, capacity, diagram, diff, fleet, new, scan, workflow
from connectctl.check import CheckInputError, check_file, check_stack
from connectctl.controls import coverage, coverage_page, coverage_text, frameworks, label, mapping_note
from connectctl.critical_path import print_report
from connectctl.docs import responsibility_matrix
from connectctl.engine.analyzer import PackConfigError, load_pack
from connectctl.engine.project import ProjectError, load_project_dir
from connectctl.engine.runner import ProgramError
from connectctl.plan import ConfigReport, Plan, mask, plan_stack
from connectctl.reports import CheckFormat, render
from connectctl.reports import render_text as render_check_text

app = typer.Typer(
    name="connectctl",
    help="Connect tenant platform: offline plans and guardrail checks of client stacks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
EXIT_OK, EXIT_VIOLATIONS, EXIT_INVALID = 0, 1, 2


class Format(StrEnum):
    """Output formats of `plan`."""

    text = "text"
    json = "json"
    tfplan = "tfplan"


ProjectDir = Annotated[Path | None, typer.Option(
    "--project-dir", help="The project (Pulumi.yaml) to read; a stack name is looked up in its stack config "
    "directory. Default: this checkout.")]
AccountFile = Annotated[Path | None, typer.Option(
    "--account-file", help="The client's account stack file (environment stacks). Default: "
    "Pulumi.<client>-account.yaml beside the stack file, else in the project's stacks.")]


def _fail(message: str) -> typer.Exit:
    Console(emoji=False, stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(EXIT_INVALID)


def _one_stack(command: str, stack: str | None, config_file: Path | None) -> None:
    """Exactly one of STACK and --config-file: say which is missing, or that both were given."""
    named = f"name a stack (connectctl {command} acme-prod) or a stack file (--config-file PATH)"
    if stack is None and config_file is None:
        raise _fail(named)
    if stack is not None and config_file is not None:
        raise _fail(f"{named}, not both")


@app.command()
def plan(
    stack: Annotated[str | None, typer.Argument(help="Stack name, e.g. acme-prod (stacks/Pulumi.<stack>.yaml)")] = None,
    config_file: Annotated[Path | None, typer.Option(
        "--config-file", help="Plan this stack file instead (its account stack and policy.<stack>.json are looked "
        "for beside it first).")] = None,
    project_dir: ProjectDir = None,
    account_file: AccountFile = None,
    preview: Annotated[bool, typer.Option(
        "--preview/--no-preview", help="Computed outputs unknown (as `pulumi preview` of a new stack) or all known."
    )] = True,
    output: Annotated[Format, typer.Option("--format", help="text (a tree), json (the documented document) or tfplan "
                                           "(Terraform plan JSON, for Checkov and other scanners).")] = (
        Format.text
    ),
    critical_path: Annotated[bool, typer.Option(
        "--critical-path", help="Instead of the tree: the longest dependency chain weighted by typical AWS creation "
        "times, an estimate of a first `pulumi up` (json: the document plus \"criticalPath\")."
    )] = False,
) -> None:
    """Plan a stack offline: run the real program under AWS-shaped mocks and the policy pack over it."""
    _one_stack("plan", stack, config_file)
    if critical_path and output is Format.tfplan:
        raise _fail("--critical-path has no tfplan form: use --format json")
    try:
        project = load_project_dir(project_dir)
        result = plan_stack(stack, config_file=config_file, preview=preview, project=project,
                            account_file=account_file)
    except (ProjectError, ConfigReport, ProgramError, PackConfigError) as exc:
        raise _fail(str(exc)) from None
    if critical_path:
        print_report(result, json_output=output is Format.json)
    elif output is Format.json:
        sys.stdout.write(json.dumps(result.as_json(), indent=2, sort_keys=False) + "\n")
    elif output is Format.tfplan:
        from connectctl.tfplan import to_tfplan  # only this format needs the schema-driven export

        sys.stdout.write(json.dumps(to_tfplan(result), indent=2) + "\n")
    else:
        render_text(result, Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 140))
    raise typer.Exit(EXIT_VIOLATIONS if result.mandatory else EXIT_OK)


@app.command()
def check(
    stack: Annotated[str | None, typer.Argument(help="Stack name, e.g. acme-prod (stacks/Pulumi.<stack>.yaml)")] = None,
    config_file: Annotated[Path | None, typer.Option(
        "--config-file", help="Check this stack file instead (its account stack and policy.<stack>.json are looked "
        "for beside it first).")] = None,
    project_dir: ProjectDir = None,
    account_file: AccountFile = None,
    state: Annotated[Path | None, typer.Option(
        "--state", help="Check a `pulumi stack export` file (version 3) instead of the offline plan."
    )] = None,
    preview_json: Annotated[Path | None, typer.Option(
        "--preview-json", help="Check a `pulumi preview --json` file instead of the offline plan."
    )] = None,
    stack_option: Annotated[str | None, typer.Option(
        "--stack", help="With --state/--preview-json: the stack whose pack config and stack file apply (= STACK)."
    )] = None,
    preview: Annotated[bool, typer.Option(
        "--preview/--no-preview", help="Offline plan: computed outputs unknown, or all known (as `plan`)."
    )] = True,
    output: Annotated[CheckFormat, typer.Option(
        "--format", help="text, json (plan's violation shape), sarif (SARIF 2.1.0) or junit (JUnit XML)."
    )] = CheckFormat.text,
) -> None:
    """Check a stack against the guardrails: the offline plan, a state export or a preview file."""
    if stack is not None and stack_option is not None and stack != stack_option:
        raise _fail(f"two different stacks named: {stack!r} and --stack {stack_option!r}")
    stack = stack or stack_option
    if state is not None and preview_json is not None:
        raise _fail("give --state FILE or --preview-json FILE, not both")
    source = state or preview_json
    named = "name a stack (connectctl check acme-prod) or a stack file (--config-file PATH)"
    if stack is not None and config_file is not None:
        raise _fail(f"{named}, not both")
    if source is None and stack is None and config_file is None:
        raise _fail(f"{named}, or give a file from pulumi (--state FILE, --preview-json FILE)")
    if source is not None and account_file is not None:
        raise _fail("--account-file is read to plan a stack; --state and --preview-json check pulumi's own files, "
                    "which need no account stack: leave it out")
    try:
        project = load_project_dir(project_dir)
        if source is None:
            result = check_stack(stack, config_file=config_file, preview=preview, project=project,
                                 account_file=account_file)
        else:
            kind = "state" if state is not None else "preview"
            result = check_file(source, kind, stack=stack, config_file=config_file, project=project)
    except (ProjectError, ConfigReport, ProgramError, PackConfigError, CheckInputError) as exc:
        raise _fail(str(exc)) from None
    report = render(result, output)
    if report is None:
        render_check_text(result, Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 160))
    else:
        sys.stdout.write(report)
    raise typer.Exit(EXIT_VIOLATIONS if result.mandatory else EXIT_OK)


class CatalogueFormat(StrEnum):
    """Output formats of `guardrails`."""

    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
def guardrails(
    output: Annotated[CatalogueFormat, typer.Option("--format", help="text (a table), json, or markdown "
                                                    "(docs/guardrails.md)")] = CatalogueFormat.text,
    by_control: Annotated[bool, typer.Option("--by-control", help="Per control (ISO/IEC 27001:2022 Annex A, CSA "
                                             "CCM v4) the rules that support it, and the gaps; our mapping.")] = False,
) -> None:
    """List the pack's rules with their metadata: the shared-responsibility matrix, or the rules per control."""
    pack = load_pack()
    rules = [rule.metadata() for rule in pack.RULES]
    console = Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 160)
    if by_control:
        doc = coverage(rules)
        if output is CatalogueFormat.json:
            sys.stdout.write(json.dumps({"pack": pack.PACK_NAME, **doc}, indent=2) + "\n")
        elif output is CatalogueFormat.markdown:
            sys.stdout.write(coverage_page(doc, pack.PACK_NAME))
        else:
            coverage_text(doc, console)
    elif output is CatalogueFormat.json:
        doc = {"pack": pack.PACK_NAME, "note": mapping_note(), "frameworks": frameworks(), "rules": rules}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif output is CatalogueFormat.markdown:
        sys.stdout.write(responsibility_matrix(rules))
    else:
        table = Table(title=f"{len(rules)} guardrails", caption=escape(mapping_note()), show_header=True,
                      header_style="bold")
        for column in ("id", "kind", "level", "severity", "owner", "unwaivable", "anchors", "controls (our mapping)"):
            table.add_column(column, overflow="fold")
        for rule in rules:
            table.add_row(rule["id"], rule["kind"], rule["level"], rule["severity"], rule["owner"],
                          "yes" if rule["unwaivable"] else "", escape(", ".join(rule["anchors"]) or "none (new)"),
                          escape(label(rule["controls"])))
        console.print(table)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a stack file (the committed copy is schemas/stack.schema.json)."""
    sys.stdout.write(json.dumps(stack_config_schema(), indent=2) + "\n")


def render_text(result: Plan, console: Console) -> None:
    """The plan as a tree by component, with counts, stack outputs and findings."""
    data = result.as_json()
    mode = "preview (computed values unknown)" if result.capture.preview else "update (all values known)"
    console.print(f"[bold]Plan of {data['project']}/{data['stack']}[/] - {mode}, "
                  f"stack file {result.stack_file.display_path}")
    children: dict[str, list[dict[str, object]]] = defaultdict(list)
    for resource in data["resources"]:
        children[str(resource["parent"])].append(resource)
    root = next(r for r in data["resources"] if r["type"] == "pulumi:pulumi:Stack")
    tree = Tree(f"[bold]{root['name']}[/] ({len(data['resources'])} resources)")

    def add(node: Tree, parent_urn: str) -> None:
        kids = children.get(parent_urn, [])
        components = [k for k in kids if not k["custom"]]
        custom = [k for k in kids if k["custom"]]
        for comp in components:
            count = _descendants(children, str(comp["urn"]))
            add(node.add(f"[cyan]{comp['type']}[/] [bold]{comp['name']}[/] ({count} resources)"), str(comp["urn"]))
        by_type: dict[str, list[str]] = defaultdict(list)
        flags: Counter[str] = Counter()
        for k in custom:
            by_type[str(k["type"])].append(str(k["name"]))
            if k["protect"]:
                flags[str(k["type"])] += 1
        for type_, names in by_type.items():
            shown = ", ".join(names[:4]) + (f", ... (+{len(names) - 4})" if len(names) > 4 else "")
            guard = f" [green]protected {flags[type_]}[/]" if flags[type_] else ""
            node.add(f"{type_} x{len(names)}{guard}: [dim]{escape(shown)}[/]")

    add(tree, str(root["urn"]))
    console.print(tree)
    outputs = Table(title="Stack outputs", show_header=True, header_style="bold")
    outputs.add_column("output")
    outputs.add_column("value", overflow="fold")
    for key, value in sorted(data["outputs"].items()):
        outputs.add_row(key, escape(json.dumps(value) if not isinstance(value, str) else value))
    console.print(outputs)
    if result.violations:
        table = Table(title="Policy findings", show_header=True, header_style="bold")
        for column in ("level", "policy", "owner", "resource", "message"):
            table.add_column(column, overflow="fold")
        secrets = result.secrets()
        for v in sorted(result.violations, key=lambda v: (v.level != "mandatory", v.policy)):
            style = {"mandatory": "red", "exempt": "cyan"}.get(v.level, "yellow")
            table.add_row(f"[{style}]{v.level}[/]", v.policy, v.owner, escape(v.urn.split("::")[-1] or "(stack)"),
                          escape(str(mask(v.message, secrets)).replace("\n", " - ")))
        console.print(table)
    summary = data["summary"]
    verdict = "[red]FAIL[/]" if summary["mandatory"] else "[green]PASS[/]"
    exempt = len(result.exempt)
    console.print(f"{verdict}: {summary['resources']} resources, {summary['mandatory']} mandatory and "
                  f"{summary['advisory']} advisory finding(s)" + (f", {exempt} exempt" if exempt else ""))


def _descendants(children: dict[str, list[dict[str, object]]], urn: str) -> int:
    return sum(1 + _descendants(children, str(k["urn"])) for k in children.get(urn, []))


for _module in (audit, capacity, diagram, diff, fleet, new, scan, workflow):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
