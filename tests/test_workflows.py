"""The CI workflows users get (`.github/workflows/`) run real commands, docs/ci.md's, in the right order.

A workflow is only exercised on GitHub, so what can be held here is held here: every `connectctl` call
names a command and options the CLI has (checked by its own click parser), every `pulumi` call uses flags
the Pulumi CLI has, every command is the one docs/ci.md shows (and the other way round), and
the jobs are wired as the issue asks (matrix of affected stacks, SARIF upload, preview comment, account
stacks before environments, approval and one update at a time per stack).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer
import typer.core
import yaml

from connectctl import cli
from connectctl.workflow import SHARED_PATHS

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
CI_DOC = ROOT / "docs" / "ci.md"  # the CI reference: its ```bash blocks are what the workflows run
TRACKED = {"uv", "pulumi", "connectctl"}  # programs whose every invocation docs/ci.md shows
OPERATORS = set("();<>|&")

# Flags of the Pulumi CLI the workflows may use: `pulumi preview --help`, `pulumi up --help` and the CLI
# reference (pulumi.com/docs/iac/cli/commands/pulumi_preview/ and pulumi_up/; global flags under "Options
# inherited from parent commands"). VALUE flags take the next word; SWITCH flags none; OPTIONAL ones take a
# value only as --flag=value (`--refresh true` would pass `true` as a positional argument).
VALUE, SWITCH, OPTIONAL = "value", "switch", "optional"
PULUMI_GLOBAL_FLAGS = {"--non-interactive": SWITCH, "--color": VALUE, "--cwd": VALUE, "--emoji": SWITCH}
PULUMI_UPDATE_FLAGS = {
    "--stack": VALUE, "--policy-pack": VALUE, "--policy-pack-config": VALUE, "--diff": SWITCH,
    "--suppress-progress": SWITCH, "--suppress-outputs": SWITCH, "--refresh": OPTIONAL, "--message": VALUE,
    "--parallel": VALUE, "--show-sames": SWITCH, "--show-replacement-steps": SWITCH,
}
PULUMI_FLAGS = {
    "preview": {**PULUMI_GLOBAL_FLAGS, **PULUMI_UPDATE_FLAGS, "--json": SWITCH, "--expect-no-changes": SWITCH},
    "up": {**PULUMI_GLOBAL_FLAGS, **PULUMI_UPDATE_FLAGS, "--yes": SWITCH, "--skip-preview": SWITCH},
    "stack select": {**PULUMI_GLOBAL_FLAGS, "--stack": VALUE, "--create": SWITCH, "--secrets-provider": VALUE},
    # pulumi.com/docs/iac/cli/commands/pulumi_refresh/, pulumi_stack_export/ and pulumi_stack_output/
    "refresh": {**PULUMI_GLOBAL_FLAGS, "--stack": VALUE, "--yes": SWITCH, "--skip-preview": SWITCH,
                "--message": VALUE, "--suppress-progress": SWITCH, "--suppress-outputs": SWITCH, "--diff": SWITCH,
                "--expect-no-changes": SWITCH, "--parallel": VALUE},
    "stack export": {**PULUMI_GLOBAL_FLAGS, "--stack": VALUE, "--file": VALUE, "--show-secrets": SWITCH},
    "stack output": {**PULUMI_GLOBAL_FLAGS, "--stack": VALUE, "--json": SWITCH},
}
RUNS_THE_PROGRAM = ("preview", "up", "refresh")  # pulumi commands that need the pack's venv and AWS credentials
NIGHTLY = "nightly-assurance.yml"
PULUMI_COLORS = {"always", "never", "raw", "auto"}
# Actions the workflows may use, at these major versions: well known, maintained by their vendors.
ACTIONS = {
    "actions/checkout@v4", "astral-sh/setup-uv@v6", "github/codeql-action/upload-sarif@v3", "pulumi/actions@v6",
    "aws-actions/configure-aws-credentials@v4", "marocchino/sticky-pull-request-comment@v2",
    "./.github/workflows/deploy.yml", "actions/upload-artifact@v4", "actions/download-artifact@v4",
}


def load(name: str) -> dict[str, Any]:
    """A workflow as GitHub reads it: YAML 1.1 parses the key `on` as True, so it is put back."""
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in doc:
        doc["on"] = doc.pop(True)
    return dict(doc)


def workflows() -> dict[str, dict[str, Any]]:
    return {path.name: load(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def scripts() -> Iterator[tuple[str, str, str]]:
    """(workflow, job, run script) of every run step."""
    for name, doc in workflows().items():
        for job_id, job in doc["jobs"].items():
            for step in steps(job):
                if "run" in step:
                    yield name, job_id, step["run"]


def simple_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, as words: comments, redirections and control operators dropped.

    `a --x "$S" > out || b=$?` gives [a, --x, $S] and [b=$?]; `p 2>&1 | tee f` gives [p] and [tee, f].
    """
    commands: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        words: list[str] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token and set(token) <= OPERATORS:
                if token[0] in "<>":  # a redirection: drop it, its target and the fd number before it
                    if words and words[-1].isdigit():
                        words.pop()
                    index += 2
                    continue
                if words:
                    commands.append(words)
                words = []
            else:
                words.append(token)
            index += 1
        if words:
            commands.append(words)
    return commands


def program(words: list[str]) -> tuple[str, list[str]]:
    """The program a command runs and its arguments, `uv run` unwrapped."""
    name = Path(words[0]).name
    if name == "uv" and len(words) > 2 and words[1] == "run":
        return Path(words[2]).name, words[3:]
    return name, words[1:]


def workflow_commands() -> list[tuple[str, list[str]]]:
    """(workflow, command) of every simple command of every run step."""
    return [(name, words) for name, _, script in scripts() for words in simple_commands(script)]


def ci_doc_commands() -> list[list[str]]:
    """The commands of the ```bash blocks of docs/ci.md, the CI reference."""
    if not CI_DOC.is_file():
        pytest.fail("docs/ci.md is missing: it shows the commands the CI workflows run")
    blocks = re.findall(r"^```bash\n(.*?)^```", CI_DOC.read_text(), re.MULTILINE | re.DOTALL)
    return [words for block in blocks for words in simple_commands(block)]


def connectctl_problems(args: list[str]) -> list[str]:
    """What is wrong with `connectctl ARGS`, asked of the CLI's own (click) command tree and parser."""
    group = typer.main.get_command(cli.app)
    assert isinstance(group, typer.core.TyperGroup)
    root = typer.Context(group, info_name="connectctl")
    if not args or args[0].startswith("-"):
        return [f"no command in connectctl {shlex.join(args)}"]
    command = group.get_command(root, args[0])
    if command is None:
        return [f"connectctl has no command {args[0]!r}; it has: {', '.join(group.list_commands(root))}"]
    depth = 1
    if isinstance(command, typer.core.TyperGroup):  # a group (`dr verify`): its subcommand's options count
        parent = typer.Context(command, info_name=args[0], parent=root)
        sub = command.get_command(parent, args[1]) if len(args) > 1 else None
        if sub is None:
            listed = ", ".join(command.list_commands(root))
            return [f"connectctl {args[0]} has no command {args[1:2]}; it has: {listed}"]
        command, root, depth = sub, parent, 2
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    problems = [f"connectctl {' '.join(args[:depth])} has no option {word}; it has: {', '.join(sorted(known))}"
                for word in args[depth:] if word.startswith("-") and word.split("=", 1)[0] not in known]
    try:
        command.make_context(args[depth - 1], list(args[depth:]), parent=root)
    except typer.TyperException as exc:  # click's UsageError and BadParameter (typer vendors click)
        problems.append(f"connectctl {shlex.join(args)}: {exc.format_message()}")
    return problems


def pulumi_problems(args: list[str]) -> list[str]:
    """What is wrong with `pulumi ARGS`, against the allow-list of real flags above."""
    command, index = pulumi_command(args)
    if command not in PULUMI_FLAGS:
        return [f"pulumi {shlex.join(args)}: only {', '.join(PULUMI_FLAGS)} are allowed in the workflows"]
    flags = PULUMI_FLAGS[command]
    problems: list[str] = []
    while index < len(args):
        word = args[index]
        name, has_value, value = word.partition("=")
        kind = flags.get(name)
        if not word.startswith("-"):
            problems.append(f"pulumi {command}: unexpected argument {word!r}")
        elif kind is None:
            problems.append(f"pulumi {command}: {name} is not in the allow-list of real pulumi flags")
        elif kind == SWITCH and has_value:
            problems.append(f"pulumi {command}: {name} takes no value")
        elif kind == VALUE and not has_value:
            index += 1
            value = args[index] if index < len(args) else ""
            if not value or value.startswith("-"):
                problems.append(f"pulumi {command}: {name} needs a value")
        if name == "--color" and value not in PULUMI_COLORS:
            problems.append(f"pulumi {command}: --color {value!r}; allowed: {', '.join(sorted(PULUMI_COLORS))}")
        index += 1
    return problems


def pulumi_command(args: list[str]) -> tuple[str, int]:
    """`preview`, `up` or `stack select`, and where its flags start."""
    if args[:1] == ["stack"]:
        return " ".join(args[:2]), 2
    return (args[0] if args else ""), 1


def option_values(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, word in enumerate(args[:-1]) if word == flag]


# --- commands -------------------------------------------------------------------------------------------


def test_the_workflows_exist() -> None:
    assert {"pull-request.yml", "main.yml", "deploy.yml", "release-gate.yml", NIGHTLY} <= set(workflows())


def test_every_connectctl_call_names_a_real_command_and_options() -> None:
    calls = [(name, program(words)[1]) for name, words in workflow_commands() if program(words)[0] == "connectctl"]
    assert {args[0] for _, args in calls} == {"stacks", "check", "diff", "images", "release", "audit", "dr"}
    for name, args in calls:
        assert connectctl_problems(args) == [], name


def test_every_pulumi_call_uses_real_flags_the_stack_and_its_pack_config() -> None:
    calls = [(name, program(words)[1]) for name, words in workflow_commands() if program(words)[0] == "pulumi"]
    assert sorted(pulumi_command(args)[0] for _, args in calls) == [
        "preview", "preview", "refresh", "stack export", "stack output", "stack select", "stack select",
        "stack select", "up"]
    for name, args in calls:
        assert pulumi_problems(args) == [], name
        assert option_values(args, "--stack") == ["$ORGANIZATION/$STACK"], name
        if pulumi_command(args)[0] == "stack select":
            # a new stack file gets its stack; the nightly run judges deployed stacks only, and creates none
            assert ("--create" in args) is (name != NIGHTLY), name
            continue
        if args[0] in ("stack", "refresh"):
            assert "--non-interactive" in args or args[0] == "stack", name
            continue
        # The pack and its per-stack config, as the README's "Running it for real" runs them.
        assert option_values(args, "--policy-pack") == ["policies"], name
        assert option_values(args, "--policy-pack-config") == ["stacks/policy.$STACK.json"], name
        assert "--non-interactive" in args, name
    assert "--diff" in next(args for _, args in calls if args[0] == "preview")
    assert "--yes" in next(args for _, args in calls if args[0] == "up")


def test_every_stack_has_the_pack_config_the_pulumi_calls_name() -> None:
    stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
    assert stacks and all((ROOT / "stacks" / f"policy.{stack}.json").is_file() for stack in stacks)
    assert (ROOT / "policies" / "PulumiPolicy.yaml").is_file() and (ROOT / "policies" / "requirements.txt").is_file()


@pytest.mark.parametrize(("args", "problem"), [
    (["chek", "acme-prod"], "no command 'chek'"),
    (["check", "acme-prod", "--formt", "sarif"], "no option --formt"),
    (["check", "acme-prod", "--format", "sarf"], "'sarf' is not one of"),
    (["stacks", "--changed-since"], "requires an argument"),
    (["stacks", "--scope", "all"], "'all' is not one of"),
])
def test_the_connectctl_check_catches_what_it_should(args: list[str], problem: str) -> None:
    assert any(problem in p for p in connectctl_problems(args)), connectctl_problems(args)


@pytest.mark.parametrize(("args", "problem"), [
    (["destroy", "--yes"], "only preview, up, stack select"),
    (["stack", "rm", "--yes"], "only preview, up, stack select"),
    (["stack", "select", "--stack", "o/s", "--force"], "--force is not in the allow-list"),
    (["up", "--yess"], "--yess is not in the allow-list"),
    (["up", "--refresh", "true"], "unexpected argument 'true'"),
    (["preview", "--stack"], "--stack needs a value"),
    (["preview", "--diff=false"], "--diff takes no value"),
    (["preview", "--color", "rainbow"], "--color 'rainbow'"),
])
def test_the_pulumi_check_catches_what_it_should(args: list[str], problem: str) -> None:
    assert any(problem in p for p in pulumi_problems(args)), pulumi_problems(args)


def test_the_shell_parsing_keeps_commands_and_drops_redirections() -> None:
    script = ('status=0\nuv run connectctl check "$STACK" --format sarif > out.sarif || status=$?\n'
              'pulumi up --stack "$O/$S" \\\n  --yes 2>&1 | tee log.txt  # comment\necho "`pulumi up`"\n')
    assert simple_commands(script) == [
        ["status=0"], ["uv", "run", "connectctl", "check", "$STACK", "--format", "sarif"], ["status=$?"],
        ["pulumi", "up", "--stack", "$O/$S", "--yes"], ["tee", "log.txt"], ["echo", "`pulumi up`"],
    ]


def test_every_command_is_the_ci_doc_ones_and_the_other_way_round() -> None:
    """Exact command shapes: docs/ci.md shows what the workflows run, nothing else."""
    ran = {tuple(words) for _, words in workflow_commands() if program(words)[0] in TRACKED}
    shown = {tuple(words) for words in ci_doc_commands() if program(words)[0] in TRACKED}
    assert sorted(ran - shown) == [], "run by a workflow but not shown in docs/ci.md"
    assert sorted(shown - ran) == [], "shown in docs/ci.md but run by no workflow"


def test_the_ci_doc_commands_are_valid_too() -> None:
    for words in ci_doc_commands():
        name, args = program(words)
        if name == "connectctl":
            assert connectctl_problems(args) == []
        elif name == "pulumi":
            assert pulumi_problems(args) == []


def test_no_expression_is_interpolated_into_a_script() -> None:
    """Stack names come from file names in the pull request: into scripts only through `env`, never `${{ }}`."""
    for name, job_id, script in scripts():
        assert "${{" not in script, f"{name} {job_id}: pass the value through env instead"


def test_every_workflow_runs_bash_with_pipefail() -> None:
    """Without `shell:`, a run step is `bash -e` and `pulumi preview ... | tee` would pass when preview fails."""
    for name, doc in workflows().items():
        assert doc.get("defaults", {}).get("run", {}).get("shell") == "bash", name


def test_only_well_known_actions_at_known_versions() -> None:
    used = {str(step["uses"]) for doc in workflows().values() for job in doc["jobs"].values() for step in steps(job)
            if "uses" in step}
    used |= {str(job["uses"]) for doc in workflows().values() for job in doc["jobs"].values() if "uses" in job}
    assert used <= ACTIONS, used - ACTIONS


def test_tool_versions_are_the_projects() -> None:
    """uv as the Makefile installs it; the Pulumi CLI at the version of the `pulumi` SDK in the lock."""
    uv_version = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert uv_version is not None
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pulumi_version = next(p.split("==")[1] for p in pins if p.startswith("pulumi=="))
    for doc in workflows().values():
        for job in doc["jobs"].values():
            for step in steps(job):
                if str(step.get("uses", "")).startswith("astral-sh/setup-uv@"):
                    assert step["with"]["version"] == uv_version.group(1)
                if str(step.get("uses", "")).startswith("pulumi/actions@"):
                    assert step["with"] == {"pulumi-version": pulumi_version}  # no `command`: the CLI only
        assert doc["env"] == {"UV_FROZEN": "1", "UV_PYTHON": "3.11"}


# --- triggers and wiring --------------------------------------------------------------------------------


def expected_paths() -> set[str]:
    return {"stacks/**"} | {f"{p}**" if p.endswith("/") else p for p in SHARED_PATHS}


def test_triggers() -> None:
    pull_request, main, deploy = load("pull-request.yml"), load("main.yml"), load("deploy.yml")
    assert set(pull_request["on"]) == {"pull_request"}
    assert pull_request["on"]["pull_request"]["branches"] == ["main"]
    assert set(pull_request["on"]["pull_request"]["paths"]) == expected_paths()
    assert set(main["on"]) == {"push"}
    assert main["on"]["push"]["branches"] == ["main"]
    assert set(main["on"]["push"]["paths"]) == expected_paths()
    assert set(deploy["on"]) == {"workflow_call"}
    for doc in workflows().values():
        assert "pull_request_target" not in doc["on"]  # it would run pull-request code with the secrets
        assert doc["permissions"] == {"contents": "read"}


def stacks_step(job: dict[str, Any], step_id: str) -> list[str]:
    step = next(s for s in steps(job) if s.get("id") == step_id)
    [words] = [w for w in simple_commands(step["run"]) if program(w)[0] == "connectctl"]
    return program(words)[1]


def test_the_stacks_jobs_compute_the_matrix_from_the_whole_history() -> None:
    pull_request, main = load("pull-request.yml"), load("main.yml")
    for job, step_ids in ((pull_request["jobs"]["stacks"], ["stacks"]),
                          (main["jobs"]["stacks"], ["accounts", "environments"])):
        assert steps(job)[0] == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}
        for step_id in step_ids:
            args = stacks_step(job, step_id)
            assert args[:2] == ["stacks", "--changed-since"] and option_values(args, "--format") == ["github"]
            assert re.search(rf"steps\.{step_id}\.outputs\.matrix\b", str(job["outputs"]))
            assert re.search(rf"steps\.{step_id}\.outputs\.count\b", str(job["outputs"]))
    assert pull_request["jobs"]["stacks"]["steps"][-1]["env"] == {"BASE": "origin/${{ github.base_ref }}"}
    assert main["jobs"]["stacks"]["env"] == {"BEFORE": "${{ github.event.before }}"}
    assert option_values(stacks_step(main["jobs"]["stacks"], "accounts"), "--scope") == ["account"]
    assert option_values(stacks_step(main["jobs"]["stacks"], "environments"), "--scope") == ["environment"]


def test_pull_request_checks_each_stack_and_uploads_the_sarif_even_when_it_fails() -> None:
    job = load("pull-request.yml")["jobs"]["check"]
    assert job["needs"] == "stacks" and job["if"] == "needs.stacks.outputs.count != '0'"
    assert job["strategy"] == {"fail-fast": False, "matrix": "${{ fromJSON(needs.stacks.outputs.matrix) }}"}
    assert job["permissions"]["security-events"] == "write"
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    check = next(s for s in steps(job) if s.get("id") == "check")
    assert 'uv run connectctl check "$STACK" --format sarif > connectctl.sarif || status=$?' in check["run"]
    assert check["run"].rstrip().endswith('exit "$status"')  # the job fails on exit 1 and 2 ...
    upload = steps(job)[steps(job).index(check) + 1]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "connectctl.sarif"
    assert "!cancelled()" in upload["if"] and "steps.check.outputs.status == '1'" in upload["if"]  # ... after this


def test_pull_request_previews_after_the_checks_and_posts_the_diff() -> None:
    job = load("pull-request.yml")["jobs"]["preview"]
    assert job["needs"] == ["stacks", "check"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert job["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert job["env"] == {"STACK": "${{ matrix.stack }}", "ORGANIZATION": "${{ matrix.organization }}",
                          "PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}
    names = [str(s.get("uses", s.get("id", s.get("name")))) for s in steps(job)]
    credentials = next(s for s in steps(job) if str(s.get("uses", "")).startswith("aws-actions/"))
    assert credentials["with"] == {"role-to-assume": "${{ vars.AWS_ROLE_ARN }}", "aws-region": "${{ matrix.region }}"}
    preview = next(s for s in steps(job) if s.get("id") == "preview")
    assert preview["run"].rstrip().endswith("| tee preview.txt")
    assert names.index("pulumi/actions@v6") < names.index("preview")
    comment, post, protected = steps(job)[names.index("preview") + 1:]
    assert "preview.txt" in comment["run"] and comment["run"].rstrip().endswith("> comment.md")
    assert "diff.md" in comment["run"]  # connectctl diff's section, after the preview's
    assert post["uses"].startswith("marocchino/sticky-pull-request-comment@")
    assert post["with"] == {"header": "pulumi-preview-${{ matrix.stack }}", "path": "comment.md"}
    for step in (comment, post):  # posted when the preview fails too
        assert step["if"] == "${{ !cancelled() && steps.preview.outcome != 'skipped' }}"
    assert protected["if"] == "${{ !cancelled() && steps.diff.outputs.status == '1' }}"  # fails the job last
    assert protected["run"].rstrip().endswith("exit 1")


def test_pull_request_diffs_each_stack_file_against_the_base_commit() -> None:
    """`connectctl diff --base` in the preview job: before the cloud, its markdown in the sticky comment."""
    job = load("pull-request.yml")["jobs"]["preview"]
    assert steps(job)[0] == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}  # the base commit is there
    names = [str(s.get("uses", s.get("id", s.get("name", s.get("run"))))) for s in steps(job)]
    diff = next(s for s in steps(job) if s.get("id") == "diff")
    assert diff["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}
    [words] = [w for w in simple_commands(diff["run"]) if program(w)[0] == "connectctl"]
    args = program(words)[1]
    assert args[:2] == ["diff", "$STACK"] and option_values(args, "--base") == ["$BASE_SHA"]
    assert option_values(args, "--format") == ["markdown"]
    assert "> diff.md 2> diff.err || status=$?" in diff["run"]  # exit 1 and 2 do not stop the preview ...
    assert 'echo "status=$status" >> "$GITHUB_OUTPUT"' in diff["run"]
    assert names.index("uv sync --frozen") < names.index("diff")  # offline: before any credentials
    assert names.index("diff") < names.index("aws-actions/configure-aws-credentials@v4")
    comment = steps(job)[names.index("preview") + 1]
    assert comment["env"]["DIFF_STATUS"] == "${{ steps.diff.outputs.status }}"  # ... exit 2 shows its message
    assert "diff.err" in comment["run"] and "diff_limit" in comment["run"]


def test_main_deploys_account_stacks_before_environment_stacks() -> None:
    jobs = load("main.yml")["jobs"]
    accounts, environments = jobs["accounts"], jobs["environments"]
    assert accounts["needs"] == "stacks" and environments["needs"] == ["stacks", "accounts"]
    assert "!failure()" in environments["if"] and "!cancelled()" in environments["if"]  # accounts skipped is fine
    for job, kind in ((accounts, "accounts"), (environments, "environments")):
        assert f"needs.stacks.outputs.{kind}-count != '0'" in job["if"]
        assert job["strategy"] == {"fail-fast": False, "matrix": f"${{{{ fromJSON(needs.stacks.outputs.{kind}) }}}}"}
        assert job["uses"] == "./.github/workflows/deploy.yml" and job["secrets"] == "inherit"
        assert job["with"] == {key: f"${{{{ matrix.{key} }}}}" for key in ("stack", "organization", "region",
                                                                          "production")}
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
    inputs = load("deploy.yml")["on"]["workflow_call"]["inputs"]
    assert set(inputs) == set(accounts["with"]) and inputs["production"]["type"] == "boolean"


def test_deploy_waits_for_production_approval_and_runs_one_update_per_stack() -> None:
    [job] = load("deploy.yml")["jobs"].values()
    assert job["environment"] == "${{ inputs.production && 'production' || 'non-production' }}"
    assert job["concurrency"] == {"group": "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": False}
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["env"] == {"STACK": "${{ inputs.stack }}", "ORGANIZATION": "${{ inputs.organization }}",
                          "PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}
    credentials = next(s for s in steps(job) if str(s.get("uses", "")).startswith("aws-actions/"))
    assert credentials["with"] == {"role-to-assume": "${{ vars.AWS_ROLE_ARN }}", "aws-region": "${{ inputs.region }}"}
    assert steps(job)[-1]["name"] == "pulumi up"


def test_every_job_sets_up_what_its_commands_use() -> None:
    """uv before `uv ...`, the pack's venv and the CLI before `pulumi ...`, credentials before the cloud."""
    for name, doc in workflows().items():
        for job_id, job in doc["jobs"].items():
            seen: list[str] = []
            for step in steps(job):
                commands = simple_commands(step.get("run", ""))
                used = [program(w)[0] for w in commands]
                if "uv" in used or "connectctl" in used:
                    assert "astral-sh/setup-uv@v6" in seen, (name, job_id)
                if "connectctl" in used:
                    assert "uv sync --frozen" in seen, (name, job_id)
                if "pulumi" in used:
                    assert "pulumi/actions@v6" in seen, (name, job_id)
                if any(w[0] == "pulumi" and w[1] in RUNS_THE_PROGRAM for w in commands):
                    assert "aws-actions/configure-aws-credentials@v4" in seen, (name, job_id)
                    assert any("uv venv policies/venv" in s for s in seen), (name, job_id)
                    select = "pulumi stack select --stack" if name == NIGHTLY else "pulumi stack select --create"
                    assert any(s.startswith(select) for s in seen), (name, job_id)
                seen.append(str(step.get("uses", step.get("run", ""))))


def test_the_release_gate_runs_release_for_each_changed_image() -> None:
    """release-gate.yml: `connectctl images --changed-since` lists the images a pull request pins, and each one gets
    `connectctl release` with the registry region's credentials; forks, which get none, fail instead of passing."""
    doc = load("release-gate.yml")
    assert set(doc["on"]) == {"pull_request"} and doc["on"]["pull_request"] == {"branches": ["main"],
                                                                               "paths": ["stacks/**"]}
    images, release = doc["jobs"]["images"], doc["jobs"]["release"]
    assert steps(images)[0] == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}  # the merge base
    args = stacks_step(images, "images")
    assert args[:2] == ["images", "--changed-since"] and option_values(args, "--format") == ["github"]
    assert steps(images)[-1]["env"] == {"BASE": "origin/${{ github.base_ref }}"}
    assert images["outputs"] == {"matrix": "${{ steps.images.outputs.matrix }}",
                                 "count": "${{ steps.images.outputs.count }}"}
    assert release["needs"] == "images" and release["if"] == "needs.images.outputs.count != '0'"
    assert release["strategy"] == {"fail-fast": False, "matrix": "${{ fromJSON(needs.images.outputs.matrix) }}"}
    assert release["permissions"] == {"contents": "read", "id-token": "write"}
    assert release["env"] == {"STACK": "${{ matrix.stack }}", "SERVICE": "${{ matrix.service }}",
                              "TAG": "${{ matrix.tag }}", "DIGEST": "${{ matrix.digest }}"}
    fork = steps(release)[0]
    assert fork["if"] == "github.event.pull_request.head.repo.full_name != github.repository"
    assert fork["run"].rstrip().endswith("exit 1")
    credentials = next(s for s in steps(release) if str(s.get("uses", "")).startswith("aws-actions/"))
    assert credentials["with"] == {"role-to-assume": "${{ vars.AWS_ROLE_ARN }}", "aws-region": "${{ matrix.region }}"}
    gate = steps(release)[-1]
    calls = [program(w)[1] for w in simple_commands(gate["run"]) if program(w)[0] == "connectctl"]
    assert calls == [["release", "$STACK", "$SERVICE", "--digest", "$DIGEST"],
                     ["release", "$STACK", "$SERVICE", "--tag", "$TAG"]]  # the stack file's threshold: no option
    assert steps(release).index(credentials) < steps(release).index(gate)


# --- the GitHub workflow schema, and the nightly assurance (issue #21) ------------------------------------------

# SchemaStore's github-workflow.json (Apache-2.0), as check-jsonschema 0.39.0 vendors it: the schema editors and
# `check-jsonschema --builtin-schema vendor.github-workflows` validate workflows with.
GITHUB_WORKFLOW_SCHEMA = ROOT / "schemas" / "github-workflow.schema.json"


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.yml")))
def test_every_workflow_validates_against_the_github_workflow_schema(name: str) -> None:
    schema = json.loads(GITHUB_WORKFLOW_SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in jsonschema.Draft7Validator(schema).iter_errors(load(name))]
    assert problems == [], name


def test_the_workflow_schema_catches_what_it_should() -> None:
    validator = jsonschema.Draft7Validator(json.loads(GITHUB_WORKFLOW_SCHEMA.read_text()))
    nightly = load(NIGHTLY)
    for broken in ({**nightly, "on": {"schedule": [{"crn": "0 5 * * *"}]}},  # a misspelt key
                   {**nightly, "jobs": {"assure": {"steps": [{"run": "true"}]}}},  # no runs-on
                   {**nightly, "permissions": {"contents": "admin"}}):  # not a permission level
        assert list(validator.iter_errors(broken)), broken


def nightly_step(job: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in steps(job) if key in (s.get("id"), s.get("name"), s.get("uses")))


def test_nightly_holds_every_stack_every_night() -> None:
    doc = load(NIGHTLY)
    assert set(doc["on"]) == {"schedule", "workflow_dispatch"}
    [cron] = [entry["cron"] for entry in doc["on"]["schedule"]]
    assert len(cron.split()) == 5 and cron.split()[2:] == ["*", "*", "*"]  # every day
    assert doc["concurrency"] == {"group": "nightly-assurance", "cancel-in-progress": False}
    args = stacks_step(doc["jobs"]["stacks"], "stacks")
    assert args == ["stacks", "--format", "github"]  # every stack, not those a change affects
    job = doc["jobs"]["assure"]
    assert job["needs"] == "stacks" and job["strategy"] == {
        "fail-fast": False, "matrix": "${{ fromJSON(needs.stacks.outputs.matrix) }}"}
    assert job["permissions"] == {"contents": "read", "id-token": "write", "security-events": "write"}
    order = [s.get("id") for s in steps(job)]
    assert order.index("drift") < order.index("state") < order.index("audit") < order.index("dr")
    drift = [program(w)[1] for w in simple_commands(nightly_step(job, "drift")["run"]) if w[0] == "pulumi"]
    assert drift[0][:3] == ["preview", "--refresh", "--expect-no-changes"]  # drift fails
    assert 'tee drift.txt || status=$?' in nightly_step(job, "drift")["run"]
    state = [program(w) for w in simple_commands(nightly_step(job, "state")["run"])]
    assert [(name, args[:2]) for name, args in state if name in TRACKED] == [
        ("pulumi", ["refresh", "--yes"]), ("pulumi", ["stack", "export"]), ("connectctl", ["check", "$STACK"])]
    assert state[2][1][4:6] == ["--file", "state.json"] and "--state" in state[3][1]  # the export is what is judged
    for step_id, command in (("audit", ["audit", "$STACK"]), ("dr", ["dr", "verify", "$STACK"])):
        [args] = [program(w)[1] for w in simple_commands(nightly_step(job, step_id)["run"]) if program(w)[0] ==
                  "connectctl"]
        assert args == [*command, "--format", "sarif"]
        assert nightly_step(job, step_id)["if"] == "${{ !cancelled() }}"  # the audit needs no Pulumi
    uploads = [s for s in steps(job) if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert [u["with"]["sarif_file"] for u in uploads] == ["check.sarif", "audit.sarif", "dr.sarif"]
    assert len({u["with"]["category"] for u in uploads}) == 3  # one category per tool and stack
    for upload, step_id in zip(uploads, ("state", "audit", "dr"), strict=True):
        assert "${{ matrix.stack }}" in upload["with"]["category"]
        assert f"steps.{step_id}.outputs.status == '1'" in upload["if"] and "!cancelled()" in upload["if"]
    artifact = nightly_step(job, "actions/upload-artifact@v4")
    assert artifact["with"]["name"] == "nightly--${{ matrix.client }}--${{ matrix.stack }}"
    verdict = steps(job)[-1]
    assert verdict["name"] == "verdict" and "exit 1" in verdict["run"]  # the job fails after everything ran


def test_nightly_reports_once_per_client_and_pages_on_failure() -> None:
    doc = load(NIGHTLY)
    assert "steps.clients.outputs.clients" in doc["jobs"]["stacks"]["outputs"]["clients"]
    job = doc["jobs"]["report"]
    assert job["needs"] == ["stacks", "assure"] and "!cancelled()" in job["if"]  # also when a stack failed
    assert job["strategy"]["matrix"] == {"client": "${{ fromJSON(needs.stacks.outputs.clients) }}"}
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    download = nightly_step(job, "actions/download-artifact@v4")
    assert download["with"]["pattern"] == "nightly--${{ matrix.client }}--*"
    issue = nightly_step(job, "one tracking issue per client, updated in place")["run"]
    gh = [w for w in simple_commands(issue) if w[0] == "gh"]
    assert [w[:3] for w in gh] == [["gh", "label", "create"], ["gh", "issue", "list"], ["gh", "issue", "create"],
                                   ["gh", "issue", "edit"], ["gh", "issue", "reopen"]]
    assert "--label" in gh[1] and "nightly-assurance" in gh[1] and 'if [ -z "$number" ]' in issue  # found, else new
    assert option_values(gh[3], "--body-file") == ["issue.md"]  # the body is replaced: one issue, not a new one
    paging = [s for s in steps(job) if s.get("if") == "${{ steps.summary.outputs.failed != '0' }}"]
    assert [str(s.get("uses", s.get("id", s.get("name")))) for s in paging] == [
        "pulumi/actions@v6", "topics", "aws-actions/configure-aws-credentials@v4",
        "aws-actions/configure-aws-credentials@v4", "page the client's on-call"]
    assert paging[3]["with"]["role-chaining"] is True and "steps.topics.outputs.role" in paging[3]["with"][
        "role-to-assume"]
    assert ".alertsTopicArn" in paging[1]["run"] and "pulumi stack output --json" in paging[1]["run"]
    [publish] = [w for w in simple_commands(paging[4]["run"]) if w[:3] == ["aws", "sns", "publish"]]
    assert option_values(publish, "--topic-arn") == ["$topic"]
