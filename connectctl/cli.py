"""`connectctl`: the platform team's command line (offline plan, schema, and more to come).

Exit codes everywhere: 0 = fine, 1 = mandatory policy violations, 2 = invalid input or usage.
Errors are one clear message on stderr, never a Python traceback.

Start-up is kept small (`connectctl --help` and the commands that do not plan: under 0.5 s, BENCHMARKS.md):
this module imports typer and the standard library only; each command imports what it uses when it runs
(the Pulumi SDK, the pack, rich), and the commands of other modules are loaded on first use (`LazyGroup`).
tests/connectctl/test_cli_startup.py holds that no SDK is imported at start-up.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from connectctl.errors import EXIT_FOUND, EXIT_OK, fail, input_errors
from connectctl.formats import CatalogueFormat, CheckFormat
from connectctl.formats import PlanFormat as Format

if TYPE_CHECKING:
    from rich.console import Console
    from typer import _click

    from connectctl.plan import Plan

# The commands other modules define (each module's `register(app)` adds them), loaded when one is run or asked for
# its help. The overview (`connectctl --help`) shows these lines instead, so it imports none of them; they are each
# command's first docstring paragraph, held equal by tests/connectctl/test_cli_startup.py.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("connectctl.audit", "Audit a deployed stack live (read-only): the policy pack's rules judged on the "
              "live account, and the\nrun-time checks no plan can see: registry scanning, public IPs, egress IPs, "
              "load balancers, ECS services, VPN\ntunnels, flow logs, the DR vault's newest recovery point and the DR "
              "copies of the services' secrets, the\naccount's access roles and audit trail, the default network ACL "
              "(`--list`)."),
    "capacity": ("connectctl.capacity", "Capacity (tasks, vCPU, memory) and monthly cost at base and at max, per "
                 "stack and client."),
    "diagram": ("connectctl.diagram", "Draw a stack's architecture from its offline plan: zones and tiers, NAT egress "
                "IPs, VPN links,\nload balancer and services, data stores and the DR region."),
    "diff": ("connectctl.diff", "What a stack-file change does: resources created, deleted, updated and replaced, "
             "protected ones first."),
    "new": ("connectctl.new", "Write a new client's account stack, first environment stack and their pack configs, "
            "validated, ready to\nplan (into stacks/, or --dir)."),
    "scan": ("connectctl.scan", "Checkov's second opinion on every stack's Terraform plan, against "
             "checkov-baseline.yaml (--help)."),
    "stacks": ("connectctl.workflow", "List the stacks, or those a change affects: the matrix of the CI workflows."),
    "dr": ("connectctl.audit", "Disaster recovery: checks of a deployed stack, and the failover runbook."),
    "egress": ("connectctl.egress", "The egress IPs the client allow-lists, recorded in the stack file (the audit's "
               "promise)."),
    "fleet": ("connectctl.fleet", "Preview, update or refresh many client stacks at once through the Pulumi "
              "Automation API (needs the pulumi CLI and a backend login)."),
    "release": ("connectctl.release", "Release an image to a service: refuse it when its scan has findings at or "
                "above the threshold, else\n(--write) pin its digest in the stack file."),
    "images": ("connectctl.release", "List the services' images, or those a change pins: the matrix of the release "
               "gate workflow."),
    "decommission": ("connectctl.decommission", "What a decommissioned environment keeps, until when, at what "
                     "monthly cost, and the steps that end it."),
}


class LazyGroup(TyperGroup):
    """The root command group: `LAZY_COMMANDS` are imported when run or asked for their help, not at start-up.

    Why: those modules import the plan engine, rich tables, graphviz or botocore at their top; loading all of them
    made `connectctl --help` take 0.63 s. Listing the commands uses each one's line from `LAZY_COMMANDS`.
    """

    _listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        """Commands defined here, then the lazy ones, in the order `--help` has always shown them."""
        return [*self.commands, *(name for name in LAZY_COMMANDS if name not in self.commands)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        """The command, its module imported (and registered) the first time; a placeholder while listing."""
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, line = LAZY_COMMANDS[cmd_name]
            if self._listing:
                return TyperCommand(cmd_name, help=line)
            load_commands(self, module)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """The help page, listing lazy commands by their line without importing them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def load_commands(group: TyperGroup, module: str) -> None:
    """Register one module's commands (its `register(app)`) into the root group."""
    commands = typer.Typer()
    importlib.import_module(module).register(commands)
    for name, command in typer.main.get_group(commands).commands.items():
        group.commands.setdefault(name, command)


# The engine functions the commands call, imported when first read (PEP 562 `__getattr__`): they bring in the Pulumi
# SDK. Commands read them as attributes of this module (`_this().plan_stack`), so a test can replace one here.
ENGINE_FUNCTIONS = {"plan_stack": "connectctl.plan", "check_stack": "connectctl.check",
                    "check_file": "connectctl.check"}


def __getattr__(name: str) -> Any:
    """`plan_stack`, `check_stack`, `check_file`, imported on first use."""
    if name not in ENGINE_FUNCTIONS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(ENGINE_FUNCTIONS[name]), name)
    globals()[name] = value
    return value


def _this() -> ModuleType:
    return sys.modules[__name__]


app = typer.Typer(
    name="connectctl",
    cls=LazyGroup,
    help="Connect tenant platform: offline plans and guardrail checks of client stacks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
EXIT_VIOLATIONS = EXIT_FOUND


ProjectDir = Annotated[Path | None, typer.Option(
    "--project-dir", help="The project (Pulumi.yaml) to read; a stack name is looked up in its stack config "
    "directory. Default: this checkout.")]
AccountFile = Annotated[Path | None, typer.Option(
    "--account-file", help="The client's account stack file (environment stacks). Default: "
    "Pulumi.<client>-account.yaml beside the stack file, else in the project's stacks.")]


def _one_stack(command: str, stack: str | None, config_file: Path | None) -> None:
    """Exactly one of STACK and --config-file: say which is missing, or that both were given."""
    named = f"name a stack (connectctl {command} acme-prod) or a stack file (--config-file PATH)"
    if stack is None and config_file is None:
        raise fail(named)
    if stack is not None and config_file is not None:
        raise fail(f"{named}, not both")


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
    from rich.console import Console

    from connectctl.engine.project import load_project_dir

    _one_stack("plan", stack, config_file)
    if critical_path and output is Format.tfplan:
        raise fail("--critical-path has no tfplan form: use --format json")
    try:
        project = load_project_dir(project_dir)
        result = _this().plan_stack(stack, config_file=config_file, preview=preview, project=project,
                            account_file=account_file)
    except input_errors() as exc:
        raise fail(str(exc)) from None
    if critical_path:
        from connectctl.critical_path import print_report

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
    from rich.console import Console

    from connectctl.check import CheckInputError
    from connectctl.engine.project import load_project_dir
    from connectctl.reports import render
    from connectctl.reports import render_text as render_check_text

    if stack is not None and stack_option is not None and stack != stack_option:
        raise fail(f"two different stacks named: {stack!r} and --stack {stack_option!r}")
    stack = stack or stack_option
    if state is not None and preview_json is not None:
        raise fail("give --state FILE or --preview-json FILE, not both")
    source = state or preview_json
    named = "name a stack (connectctl check acme-prod) or a stack file (--config-file PATH)"
    if stack is not None and config_file is not None:
        raise fail(f"{named}, not both")
    if source is None and stack is None and config_file is None:
        raise fail(f"{named}, or give a file from pulumi (--state FILE, --preview-json FILE)")
    if source is not None and account_file is not None:
        raise fail("--account-file is read to plan a stack; --state and --preview-json check pulumi's own files, "
                    "which need no account stack: leave it out")
    try:
        project = load_project_dir(project_dir)
        if source is None:
            result = _this().check_stack(stack, config_file=config_file, preview=preview, project=project,
                                 account_file=account_file)
        else:
            kind = "state" if state is not None else "preview"
            result = _this().check_file(source, kind, stack=stack, config_file=config_file, project=project)
    except input_errors(CheckInputError) as exc:
        raise fail(str(exc)) from None
    report = render(result, output)
    if report is None:
        render_check_text(result, Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 160))
    else:
        sys.stdout.write(report)
    raise typer.Exit(EXIT_VIOLATIONS if result.mandatory else EXIT_OK)


@app.command()
def guardrails(
    output: Annotated[CatalogueFormat, typer.Option("--format", help="text (a table), json, or markdown "
                                                    "(docs/guardrails.md)")] = CatalogueFormat.text,
    by_control: Annotated[bool, typer.Option("--by-control", help="Per control (ISO/IEC 27001:2022 Annex A, CSA "
                                             "CCM v4) the rules that support it, and the gaps; our mapping.")] = False,
) -> None:
    """List the pack's rules with their metadata: the shared-responsibility matrix, or the rules per control."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from connectctl.controls import coverage, coverage_page, coverage_text, frameworks, label, mapping_note
    from connectctl.docs import responsibility_matrix
    from connectctl.engine.analyzer import load_pack

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
        table.add_column("id", no_wrap=True)  # a rule id is what people copy into an exemption: never folded
        for column in ("kind", "level", "severity", "owner", "unwaivable", "anchors", "controls (our mapping)"):
            table.add_column(column, overflow="fold")
        for rule in rules:
            table.add_row(rule["id"], rule["kind"], rule["level"], rule["severity"], rule["owner"],
                          "yes" if rule["unwaivable"] else "", escape(", ".join(rule["anchors"]) or "none (new)"),
                          escape(label(rule["controls"])))
        console.print(table)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a stack file (the committed copy is schemas/stack.schema.json)."""
    from components.config import stack_config_schema

    sys.stdout.write(json.dumps(stack_config_schema(), indent=2) + "\n")


def render_text(result: Plan, console: Console) -> None:
    """The plan as a tree by component, with counts, stack outputs and findings."""
    from rich.markup import escape
    from rich.table import Table
    from rich.tree import Tree

    from connectctl.plan import mask

    data = result.as_json()
    mode = "preview (computed values unknown)" if result.capture.preview else "update (all values known)"
    console.print(f"[bold]Plan of {data['project']}/{data['stack']}[/] - {mode}, "
                  f"stack file {escape(result.stack_file.display_path)}")
    console.print(escape(str(result.pack)))
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


def main() -> None:
    """Console-script entry point: run the command, then end the process without tearing the interpreter down.

    Why: a plan leaves the SDK, pulumi-aws's thousands of classes and the plan itself in memory, and the
    interpreter's orderly shutdown (every module cleared, every object freed, a last collection) took 0.4-0.5 s
    of `connectctl plan acme-prod`'s 2.3 s, after the output was complete. Output is flushed first; every
    command has finished its work (files written, temporary directories removed) when it returns or exits.
    An uncaught exception (a bug) still ends the normal way, with its traceback. For the same reason the runs of
    this process skip their collections (`runner.process_ends_after_command`).
    """
    from connectctl.engine.runner import process_ends_after_command

    process_ends_after_command()
    try:
        app()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):  # sys.exit("message"): printed like the interpreter does
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe (`connectctl plan x | head`): nothing left to say
            code = code or 1
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
