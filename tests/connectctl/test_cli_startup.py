"""`connectctl` starts without the heavy libraries (issue #16, part 6): behaviour, not timings.

The start-up figures themselves are benchmarks (`benchmarks/startup_bench.py`, BENCHMARKS.md): a timed test would
fail on a loaded machine. What is tested is what makes them small: importing the CLI, and printing its help, load
none of the SDKs; the commands of other modules are listed without importing them, with the lines their own
help gives.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import typer
from pulumi.runtime.proto import analyzer_pb2
from typer import _click

from connectctl import cli
from connectctl.engine import analyzer

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("boto3", "botocore", "pulumi", "pulumi_aws", "pulumi_policy", "graphviz", "grpc")


def loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_sdk() -> None:
    assert loaded_after("import connectctl.cli") == []


def test_the_help_pages_load_no_sdk() -> None:
    """`connectctl --help` and the help of a command defined in cli.py: typer and rich only."""
    for args in ([], ["plan"], ["check"], ["guardrails"]):
        code = ("from connectctl.cli import app\n"
                f"try:\n    app({[*args, '--help']!r}, prog_name='connectctl')\nexcept SystemExit:\n    pass")
        assert loaded_after(code) == [], args


def test_the_lazy_commands_are_listed_with_their_own_help() -> None:
    """Each line `connectctl --help` shows for a lazy command is the first paragraph of that command's help."""
    group = typer.main.get_command(cli.app)
    assert isinstance(group, cli.LazyGroup)
    context = _click.Context(group, info_name="connectctl")
    for name, (module, line) in cli.LAZY_COMMANDS.items():
        command = group.get_command(context, name)
        assert command is not None and module in sys.modules, name
        shown = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0].strip()
        assert inspect.cleandoc(line) == shown, f"{name}: update cli.LAZY_COMMANDS to {shown!r}"
    # Every command those modules register is listed (a module's new command needs its LAZY_COMMANDS line).
    assert set(group.commands) == {"plan", "check", "guardrails", "schema", *cli.LAZY_COMMANDS}


def test_the_overview_lists_every_command_once_in_order() -> None:
    result = subprocess.run([sys.executable, "-m", "connectctl", "--help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False, env={"COLUMNS": "200", "PATH": ""})
    assert result.returncode == 0, result.stderr
    rows = [line.split()[1] for line in result.stdout.splitlines()  # a command's row, not its help's next lines
            if line.startswith("│ ") and line[2] != " " and not line[2:].startswith("-")]
    assert rows == ["plan", "check", "guardrails", "schema", *cli.LAZY_COMMANDS]


def test_a_lazy_command_runs_and_a_typo_is_still_refused() -> None:
    result = subprocess.run([sys.executable, "-m", "connectctl", "stacks", "--format", "json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "acme-prod" in result.stdout
    typo = subprocess.run([sys.executable, "-m", "connectctl", "stack"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert typo.returncode == 2 and "No such command 'stack'" in typo.stderr and "Traceback" not in typo.stderr


def test_main_flushes_everything_before_it_ends_the_process() -> None:
    """`main` ends the process without the interpreter's teardown: the output is complete and the exit code kept."""
    schema = subprocess.run([sys.executable, "-m", "connectctl", "schema"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert schema.returncode == 0 and json.loads(schema.stdout)["required"] == ["config"]
    unknown = subprocess.run([sys.executable, "-m", "connectctl", "plan", "nobody-prod"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60, check=False)
    assert unknown.returncode == 2 and "no stack file stacks/Pulumi.nobody-prod.yaml" in unknown.stderr


def test_the_levels_spelled_out_are_the_protocol_s() -> None:
    """analyzer.py names levels and severities without importing the SDK: the same numbers as analyzer.proto."""
    assert analyzer.LEVEL_NAMES == {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
                                    analyzer_pb2.REMEDIATE: "remediate", analyzer_pb2.DISABLED: "disabled"}
    assert analyzer.SEVERITY_NAMES == {
        analyzer_pb2.POLICY_SEVERITY_LOW: "low", analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
        analyzer_pb2.POLICY_SEVERITY_HIGH: "high", analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical"}


def test_the_pack_s_config_schemas_hold_under_the_draft_the_analyzer_uses() -> None:
    """The analyzer validates rule configs with Draft 7 (the engine's validator's draft); every rule's schema is
    a valid Draft 7 and a valid 2020-12 schema, so the choice changes no verdict."""
    import jsonschema

    for rule in analyzer.load_pack().RULES:
        schema = {"type": "object", "properties": rule.config_schema(), "additionalProperties": False}
        jsonschema.Draft7Validator.check_schema(schema)
        jsonschema.Draft202012Validator.check_schema(schema)


def test_a_process_that_ends_after_its_command_skips_the_runs_collections() -> None:
    """`connectctl`'s process (cli.main) frees nothing it is about to hand back to the system: after its first run
    the collector stays off and no collection runs; the default (tests, benchmarks) collects once after each run."""
    code = """
import gc
from connectctl.engine import runner
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
with runner.one_collection():
    pass
default = (list(collections), gc.isenabled())
collections.clear()
runner.process_ends_after_command()
with runner.one_collection():
    pass
print(default, (collections, gc.isenabled(), gc.get_freeze_count()))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.strip() == "([2], True) ([], False, 0)"
