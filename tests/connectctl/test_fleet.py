"""`connectctl fleet`: many stacks through the Automation API, run here against a fake workspace.

The Pulumi CLI cannot be installed on the build machines, so `FakeFleet` stands in for `pulumi.automation`:
it answers with the SDK's own result and event classes, records when each stack ran (to check order and the
parallel bound) and fails or reports policy findings where a test tells it to. The real factory is checked
separately with the `pulumi.automation` functions patched to capture their arguments.
"""

from __future__ import annotations

import _thread
import inspect
import io
import json
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from connectctl import fleet
from connectctl.engine.project import load_project, load_stack
from connectctl.plan import pack_config_for, validate

ROOT = Path(__file__).resolve().parents[2]
ALL = ["acme-account", "globex-account", "acme-prod", "acme-staging", "globex-prod"]  # the run order
APP = typer.Typer()  # the group as `cli.py` registers it, without importing the other command modules
APP.callback()(lambda: None)
fleet.register(APP)


def policy(level: str, name: str = "alb-internal-only", urn: str = "urn:pulumi:s::connect::aws:lb/lb:Lb::alb",
           message: str = "the load balancer is internet-facing") -> auto.EngineEvent:
    return auto.EngineEvent(1, 0, policy_event=auto.PolicyEvent(message, "", name, "connect-guardrails", "0.1.0",
                                                                "v0.1.0", level, urn))


def step(urn: str = "urn:pulumi:s::connect::aws:ec2/vpc:Vpc::vpc") -> auto.EngineEvent:
    meta = auto.StepEventMetadata(auto.OpType.CREATE, urn, "aws:ec2/vpc:Vpc", "")
    return auto.EngineEvent(1, 0, resource_pre_event=auto.ResourcePreEvent(meta))


@dataclass
class Script:
    """What one fake stack does."""

    changes: dict[Any, int] = field(default_factory=lambda: {auto.OpType.CREATE: 3, "same": 10})
    events: list[auto.EngineEvent] = field(default_factory=list)
    fail: str | None = None  # CLI stderr of a failed run
    delay: float = 0.02
    hook: Callable[[], None] | None = None


class FakeFleet:
    """The factory: opens fake stacks and records every call with its arguments and timing."""

    def __init__(self, scripts: dict[str, Script] | None = None, delay: float = 0.02) -> None:
        self.scripts = scripts or {}
        self.delay = delay
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.pack_configs: dict[str, Any] = {}  # stack -> the pack config file's content, read during the call
        self.spans: dict[str, tuple[float, float]] = {}
        self.active = self.max_active = 0

    def __call__(self, target: fleet.Target) -> FakeStack:
        return FakeStack(self, target)

    def run(self, op: str, target: fleet.Target, kwargs: dict[str, Any]) -> object:
        script = self.scripts.get(target.name, Script(delay=self.delay))
        with self.lock:
            self.calls.append((op, target.name, kwargs))
            for path in kwargs.get("policy_pack_configs", []):  # the run's own file: gone once the run ends
                self.pack_configs[target.name] = json.loads(Path(path).read_text(encoding="utf-8"))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        start = time.monotonic()
        try:
            if script.hook:
                script.hook()
            for event in [step(), *script.events]:
                kwargs["on_event"](event)
            time.sleep(script.delay)
            if script.fail is not None:
                stdout = "\n".join(f"progress line {i}" for i in range(40))
                raise auto.CommandError(auto.CommandResult(stdout, script.fail, 255))
            if op == "preview":
                return auto.PreviewResult("stdout", "", dict(script.changes))
            summary = auto.UpdateSummary(op, datetime.now(), "", {}, {}, "succeeded",
                                         resource_changes=dict(script.changes))
            if op == "up":
                return auto.UpResult("stdout", "", summary, {})
            return auto.RefreshResult("stdout", "", summary)
        finally:
            with self.lock:
                self.active -= 1
                self.spans[target.name] = (start, time.monotonic())

    def ran(self) -> list[str]:
        return [name for _, name, _ in self.calls]


class FakeStack:
    def __init__(self, owner: FakeFleet, target: fleet.Target) -> None:
        self.owner, self.target = owner, target

    def preview(self, **kwargs: Any) -> object:
        return self.owner.run("preview", self.target, kwargs)

    def up(self, **kwargs: Any) -> object:
        return self.owner.run("up", self.target, kwargs)

    def refresh(self, **kwargs: Any) -> object:
        return self.owner.run("refresh", self.target, kwargs)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFleet]:
    """The fake factory installed where the CLI builds the real one."""
    instance = FakeFleet()
    monkeypatch.setattr(fleet, "automation_factory", lambda project, command: instance)
    yield instance


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(APP, ["fleet", *args], input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(*args, "--format", "json")
    assert "Traceback" not in err
    return code, json.loads(out)


def by_stack(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["stack"]: s for s in doc["stacks"]}


def write_project(root: Path, stacks: dict[str, dict[str, str]]) -> Path:
    """A project like ours with the given stacks (name -> connect:tenant)."""
    (root / "stacks").mkdir()
    (root / "Pulumi.yaml").write_text("name: connect\nruntime: python\nstackConfigDir: stacks\n")
    for name, tenant in stacks.items():
        body = "".join(f"    {k}: {v}\n" for k, v in tenant.items())
        (root / "stacks" / f"Pulumi.{name}.yaml").write_text(f"config:\n  connect:tenant:\n{body}")
    return root


def _effective(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """The pack config `connectctl plan` judges the stack with."""
    project = load_project(root)
    stack_file = load_stack(project, stack)
    return pack_config_for(project, stack_file, validate(stack_file))[0]


# --- selection and order ------------------------------------------------------------------------------------


def test_select_puts_account_stacks_first_and_classifies_from_the_stack_files() -> None:
    targets = fleet.select(load_project(ROOT), ["*"])
    assert [t.name for t in targets] == ALL
    t = {x.name: x for x in targets}
    assert t["acme-prod"].after == t["acme-staging"].after == ("acme-account",)
    assert t["globex-prod"].after == ("globex-account",)
    assert t["acme-account"].after == () and t["acme-account"].account and t["acme-account"].wave == 1
    assert t["acme-prod"].wave == 2 and t["acme-prod"].client == "acme" and not t["acme-prod"].account
    # production environments, and account stacks of clients with one (production pulls their images)
    assert {x.name for x in targets if x.production} == {"acme-account", "acme-prod", "globex-account", "globex-prod"}
    assert t["acme-prod"].pack_config_file == ROOT / "stacks" / "policy.acme-prod.json"
    assert t["acme-prod"].pack_config == _effective("acme-prod") and t["acme-prod"].pack_config_problem is None
    assert t["acme-prod"].policy_pack == ROOT / "policies"
    assert t["acme-prod"].qualified == "organization/connect/acme-prod"  # tenant.organization's default
    assert fleet.select(load_project(ROOT), ["acme-prod"], org="modyo")[0].qualified == "modyo/connect/acme-prod"


def test_stack_file_organization_names_the_stack_and_an_unreadable_file_counts_as_production(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, {
        "initech-account": {"client": "initech", "scope": "account", "organization": "initech-org"},
        "initech-dev": {"client": "initech", "environment": "dev", "organization": "initech-org"},
        "initech-qa": {"client": "initech", "environment": "qa"},
    }))
    (tmp_path / "stacks" / "Pulumi.initech-broken.yaml").write_text("config: [unclosed\n")
    t = {x.name: x for x in fleet.select(project, ["*"])}
    assert t["initech-dev"].qualified == "initech-org/connect/initech-dev"
    assert t["initech-qa"].qualified == "organization/connect/initech-qa"
    assert t["initech-dev"].after == t["initech-broken"].after == ("initech-account",)  # client from the name
    assert t["initech-broken"].production and t["initech-account"].production  # fail safe, and serves it
    assert not t["initech-dev"].production and not t["initech-qa"].production
    assert t["initech-dev"].pack_config_file is None  # no policy.<stack>.json
    assert t["initech-dev"].pack_config is None  # nor settings: the stack file does not validate (its program
    assert t["initech-dev"].pack_config_problem is None  # refuses it before the pack judges anything)


def test_environment_without_its_account_stack_selected_runs_at_once() -> None:
    targets = fleet.select(load_project(ROOT), ["*-prod"])
    assert [(t.name, t.after, t.wave) for t in targets] == [("acme-prod", (), 1), ("globex-prod", (), 1)]


def test_account_stack_finishes_before_its_environments_start_but_other_clients_do_not_wait(
    fake: FakeFleet,
) -> None:
    fake.scripts["acme-account"] = Script(delay=0.4)
    code, _, _ = run("preview", "--parallel", "4")
    assert code == 0
    assert sorted(fake.ran()) == sorted(ALL)
    spans = fake.spans
    for env, account in (("acme-prod", "acme-account"), ("acme-staging", "acme-account"),
                         ("globex-prod", "globex-account")):
        assert spans[env][0] >= spans[account][1], f"{env} started before {account} finished"
    # per client, not one global barrier: globex-prod ran while the slow acme-account was still running
    assert spans["globex-prod"][1] < spans["acme-account"][1]


def test_glob_selects_stacks_repeat_and_comma_combine(fake: FakeFleet) -> None:
    assert run("preview", "--stacks", "acme-*")[0] == 0
    assert fake.ran()[0] == "acme-account" and sorted(fake.ran()) == ["acme-account", "acme-prod", "acme-staging"]
    fake.calls.clear()
    code, doc = run_json("preview", "--stacks", "globex-prod,acme-staging", "--stacks", "acme-staging")
    assert code == 0
    assert [s["stack"] for s in doc["stacks"]] == ["acme-staging", "globex-prod"]
    assert sorted(fake.ran()) == ["acme-staging", "globex-prod"]


def test_glob_matching_nothing_is_a_usage_error_naming_it_and_the_stacks(fake: FakeFleet) -> None:
    code, out, err = run("preview", "--stacks", "acme-*", "--stacks", "initech-*")
    assert code == 2
    assert err.startswith("error: no stack matches 'initech-*'; stacks: acme-account, acme-prod, acme-staging, "
                          "globex-account, globex-prod")
    assert "Traceback" not in err and out == ""
    assert fake.calls == []


def test_a_stack_without_its_pack_config_file_is_judged_by_its_own_settings(tmp_path: Path, fake: FakeFleet) -> None:
    """No policy.<stack>.json: `pulumi preview` is still given the stack's settings, the ones `connectctl plan`
    uses (a production stack would otherwise lose its production checks there, silently)."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", root / "stacks")
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (root / "stacks" / "policy.acme-prod.json").unlink()
    project = load_project(root)
    target, = fleet.select(project, ["acme-prod"])
    assert target.pack_config_file is None
    assert target.pack_config == _effective("acme-prod", root) == _effective("acme-prod")  # the file added nothing
    assert target.pack_config["ecs-service-autoscaling"]["production"] is True


def test_a_pack_config_file_that_contradicts_the_stack_file_fails_that_stack_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeFleet) -> None:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", root / "stacks")
    (root / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    path = root / "stacks" / "policy.acme-prod.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "dr-reachable": {"drRegion": "eu-west-1"}}))
    targets = {t.name: t for t in fleet.select(load_project(root), ["acme-*"])}
    assert targets["acme-prod"].pack_config is None
    assert "dr-reachable.drRegion" in (targets["acme-prod"].pack_config_problem or "")
    assert targets["acme-staging"].pack_config_problem is None and targets["acme-staging"].pack_config
    monkeypatch.setattr(fleet, "PROJECT_ROOT", root)
    code, doc = run_json("preview", "--stacks", "acme-prod", "--stacks", "acme-staging")
    stacks = by_stack(doc)
    assert code == 1 and stacks["acme-prod"]["result"] == "failed"
    assert "disagrees with" in stacks["acme-prod"]["error"] and "dr-reachable.drRegion" in stacks["acme-prod"]["error"]
    assert fake.ran() == ["acme-staging"]  # never handed to the engine; the other stack ran
    assert all(t.pack_config is None for t in fleet.select(load_project(root), ["acme-*"], pack_configs=False))
    code, doc = run_json("refresh", "--stacks", "acme-prod")  # takes no policy pack: nothing to contradict
    assert code == 0 and by_stack(doc)["acme-prod"]["error"] is None


# --- parallelism and failures -------------------------------------------------------------------------------


@pytest.mark.parametrize("parallel", [1, 3])
def test_parallel_bound_is_respected_and_reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeFleet,
                                                 parallel: int) -> None:
    stacks = {f"c{i}-dev": {"client": f"c{i}", "environment": "dev"} for i in range(8)}
    monkeypatch.setattr(fleet, "PROJECT_ROOT", write_project(tmp_path, stacks))
    fake.delay = 0.05
    code, doc = run_json("preview", "--parallel", str(parallel))
    assert code == 0
    assert len(fake.calls) == 8 and doc["summary"]["ok"] == 8
    assert fake.max_active == parallel
    _, _, kwargs = fake.calls[0]
    assert kwargs["policy_packs"] == [str(tmp_path / "policies")]
    assert "policy_pack_configs" not in kwargs  # neither a valid stack file nor a policy.<stack>.json


@pytest.mark.parametrize("value", ["0", "33"])
def test_parallel_out_of_range_is_a_usage_error(fake: FakeFleet, value: str) -> None:
    code, _, err = run("preview", "--parallel", value)
    assert code == 2 and "--parallel" in err
    assert fake.calls == []


def test_one_failure_does_not_stop_the_others_and_exits_1_with_the_error_tail(fake: FakeFleet) -> None:
    stderr = "error: preview failed\n  aws:ec2:Vpc (vpc): InvalidParameterValue: cidr overlaps\nlast line"
    fake.scripts["acme-prod"] = Script(fail=stderr)
    code, doc = run_json("preview")
    assert code == 1
    stacks = by_stack(doc)
    assert {n: s["result"] for n, s in stacks.items()} == {**dict.fromkeys(ALL, "ok"), "acme-prod": "failed"}
    error = stacks["acme-prod"]["error"]
    assert error.splitlines()[-1] == "last line" and "cidr overlaps" in error
    assert len(error.splitlines()) == fleet.TAIL_LINES and "progress line 0" not in error  # the tail only
    assert "code:" not in error and "stdout:" not in error and "stderr:" not in error  # CommandError's labels
    assert stacks["acme-staging"]["error"] is None
    assert doc["summary"] | {"durationSeconds": 0} == {"stacks": 5, "ok": 4, "failed": 1, "skipped": 0,
                                                       "cancelled": 0, "mandatory": 0, "advisory": 0,
                                                       "durationSeconds": 0}
    code, out, err = run("preview")
    assert code == 1
    assert "acme-prod: failed: last line in " in err  # the progress line, on stderr
    assert "acme-prod failed" in out and "InvalidParameterValue: cidr overlaps" in out and "last line" in out
    assert "FAIL: 5 stack(s): 4 ok, 1 failed" in out


def test_non_cli_exceptions_are_failures_too(fake: FakeFleet) -> None:
    def boom() -> None:
        raise OSError("backend unreachable")

    fake.scripts["globex-prod"] = Script(hook=boom)
    code, doc = run_json("refresh")
    assert code == 1
    assert by_stack(doc)["globex-prod"]["error"] == "OSError: backend unreachable"
    assert doc["summary"]["ok"] == 4


def test_up_skips_environments_whose_account_stack_failed(fake: FakeFleet) -> None:
    fake.scripts["acme-account"] = Script(fail="error: update failed")
    code, doc = run_json("up", "--yes")
    assert code == 1
    stacks = by_stack(doc)
    assert stacks["acme-prod"]["result"] == stacks["acme-staging"]["result"] == "skipped"
    assert stacks["acme-prod"]["error"] == "not run: account stack acme-account did not succeed"
    assert stacks["acme-prod"]["durationSeconds"] is None
    assert stacks["globex-prod"]["result"] == "ok"  # another client's stacks go on
    assert sorted(fake.ran()) == ["acme-account", "globex-account", "globex-prod"]
    assert doc["summary"]["skipped"] == 2


def test_preview_and_refresh_still_run_environments_after_a_failed_account_stack(fake: FakeFleet) -> None:
    """They read the account stack's deployed outputs, which a failed preview or refresh does not change."""
    fake.scripts["acme-account"] = Script(fail="error: preview failed")
    for command in ("preview", "refresh"):
        fake.calls.clear()
        code, doc = run_json(command)
        assert code == 1
        assert sorted(fake.ran()) == sorted(ALL)
        assert by_stack(doc)["acme-prod"]["result"] == "ok"


def test_ctrl_c_cancels_stacks_not_started_and_lets_running_ones_finish(fake: FakeFleet) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("SIGINT handlers live on the main thread only")
    fake.scripts["acme-account"] = Script(hook=_thread.interrupt_main, delay=0.2)
    code, doc = run_json("preview", "--parallel", "1")
    assert code == 130
    stacks = by_stack(doc)
    assert stacks["acme-account"]["result"] == "ok"
    assert {s["result"] for n, s in stacks.items() if n != "acme-account"} == {"cancelled"}
    assert fake.ran() == ["acme-account"]


# --- what a run reports -------------------------------------------------------------------------------------


def test_violations_are_counted_from_policy_events(fake: FakeFleet) -> None:
    fake.scripts["acme-prod"] = Script(events=[
        policy("mandatory"), policy("mandatory"),  # the same finding twice counts once
        policy("mandatory", name="eip-nat-only", urn="urn:pulumi:s::connect::aws:ec2/eip:Eip::eip"),
        policy("advisory", name="ecs-service-autoscaling"), policy("warning", name="tenant-tags"),
        policy("disabled", name="ecr-scan-on-push"),
    ])
    fake.scripts["acme-staging"] = Script(events=[policy("advisory")])
    code, doc = run_json("preview")
    assert code == 1  # mandatory findings fail the run even if the CLI did not
    stacks = by_stack(doc)
    assert stacks["acme-prod"]["violations"] == {"mandatory": 2, "advisory": 2}
    assert stacks["acme-prod"]["result"] == "failed" and stacks["acme-prod"]["error"] is None
    assert stacks["acme-staging"]["violations"] == {"mandatory": 0, "advisory": 1}
    assert stacks["acme-staging"]["result"] == "ok"
    assert [f["level"] for f in stacks["acme-prod"]["findings"]] == ["mandatory", "mandatory", "advisory", "advisory"]
    assert stacks["acme-prod"]["findings"][0] == {
        "policy": "alb-internal-only", "pack": "connect-guardrails", "level": "mandatory",
        "urn": "urn:pulumi:s::connect::aws:lb/lb:Lb::alb", "message": "the load balancer is internet-facing"}
    assert (doc["summary"]["mandatory"], doc["summary"]["advisory"]) == (2, 3)
    code, out, _ = run("preview")
    assert code == 1
    assert "mandatory alb-internal-only alb: the load balancer is internet-facing" in out
    assert "mandatory eip-nat-only eip:" in out


def test_summary_json_values(fake: FakeFleet) -> None:
    fake.scripts["acme-prod"] = Script(changes={auto.OpType.CREATE: 2, auto.OpType.UPDATE: 1, "replace": 1,
                                                "delete": 4, "same": 30, "import": 1, "read": 2})
    code, doc = run_json("preview", "--org", "modyo", "--parallel", "2")
    assert code == 0
    assert doc["command"] == "preview" and doc["parallel"] == 2
    assert [s["stack"] for s in doc["stacks"]] == ALL
    prod = by_stack(doc)["acme-prod"]
    assert prod["changes"] == {"create": 3, "update": 1, "replace": 1, "delete": 4, "same": 30}
    assert prod["changeSummary"] == {"create": 2, "update": 1, "replace": 1, "delete": 4, "same": 30, "import": 1,
                                     "read": 2}
    assert prod | {"durationSeconds": 0, "changes": {}, "changeSummary": {}} == {
        "stack": "acme-prod", "qualifiedName": "modyo/connect/acme-prod", "client": "acme", "kind": "environment",
        "production": True, "wave": 2, "after": ["acme-account"], "result": "ok", "changes": {},
        "changeSummary": {}, "violations": {"mandatory": 0, "advisory": 0}, "findings": [], "durationSeconds": 0,
        "error": None}
    assert prod["durationSeconds"] >= 0.02
    assert by_stack(doc)["acme-account"]["kind"] == "account"
    assert doc["summary"]["stacks"] == 5 and doc["summary"]["ok"] == 5
    assert doc["summary"]["durationSeconds"] >= 0.04  # two waves of at least 0.02 s each


def test_summary_table_values(fake: FakeFleet) -> None:
    fake.scripts["acme-prod"] = Script(changes={"create": 2, "update": 1, "replace": 0, "delete": 4, "same": 30},
                                       events=[policy("advisory")])
    fake.scripts["globex-prod"] = Script(fail="error: boom")
    code, out, _ = run("preview")
    assert code == 1
    rows = {cells[0]: cells[1:] for line in out.splitlines()
            if (cells := [c.strip() for c in line.split("│")[1:-1]]) and cells[0] in ALL}
    header = next([c.strip() for c in line.split("┃")[1:-1]] for line in out.splitlines() if "┃ stack" in line)
    assert header == ["stack", "result", "create", "update", "replace", "delete", "same", "mandatory", "advisory",
                      "duration"]
    assert rows["acme-prod"][:8] == ["ok", "2", "1", "0", "4", "30", "0", "1"]
    assert re.fullmatch(r"\d+\.\ds", rows["acme-prod"][8])
    assert rows["acme-account"][:6] == ["ok", "3", "0", "0", "0", "10"]
    assert rows["globex-prod"][:6] == ["failed", "-", "-", "-", "-", "-"]
    assert list(rows) == ALL


def test_refresh_passes_no_policy_pack_and_counts_its_summary(fake: FakeFleet) -> None:
    fake.scripts["acme-prod"] = Script(changes={"update": 2, "same": 8})
    code, doc = run_json("refresh", "--stacks", "acme-prod")
    assert code == 0
    assert by_stack(doc)["acme-prod"]["changes"] == {"create": 0, "update": 2, "replace": 0, "delete": 0, "same": 8}
    (op, _, kwargs), = fake.calls
    assert op == "refresh" and "policy_packs" not in kwargs and "policy_pack_configs" not in kwargs


def test_preview_and_up_pass_the_pack_and_the_stack_s_pack_config(fake: FakeFleet) -> None:
    assert run("up", "--stacks", "acme-staging")[0] == 0
    assert run("preview", "--stacks", "acme-staging")[0] == 0
    for op, (name, _, kwargs) in zip(("up", "preview"), fake.calls, strict=True):
        assert name == op
        assert kwargs["policy_packs"] == [str(ROOT / "policies")]
        assert Path(kwargs["policy_pack_configs"][0]).name == "policy.acme-staging.json"
        assert not Path(kwargs["policy_pack_configs"][0]).exists()  # the run's own file, removed after it
        assert fake.pack_configs["acme-staging"] == _effective("acme-staging")
        assert kwargs["color"] == "never" and callable(kwargs["on_event"])


def test_progress_reports_each_stack_s_states_and_resource_steps() -> None:
    seen: list[tuple[str, str, str]] = []

    class Recorder:
        def show(self, outcome: fleet.Outcome, detail: str = "") -> None:
            seen.append((outcome.target.name, outcome.state, detail))

    targets = fleet.select(load_project(ROOT), ["acme-prod"])
    fleet.run_fleet(fleet.Command.preview, targets, FakeFleet({"acme-prod": Script(events=[step()])}), 1, Recorder())
    assert seen == [("acme-prod", "queued", ""), ("acme-prod", "running", ""), ("acme-prod", "running", "1 step(s)"),
                    ("acme-prod", "running", "2 step(s)"), ("acme-prod", "ok", "")]


def test_live_progress_on_a_terminal_shows_every_stack_and_its_result() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    targets = fleet.select(load_project(ROOT), ["acme-*"])
    fake = FakeFleet({"acme-staging": Script(fail="error: boom")})
    with fleet.reporter_for(console) as reporter:
        assert isinstance(reporter, fleet.LiveReporter)
        outcomes, interrupted = fleet.run_fleet(fleet.Command.preview, targets, fake, 2, reporter)
    assert not interrupted
    assert [o.state for o in outcomes] == ["ok", "ok", "failed"]
    final = buffer.getvalue().rsplit("\x1b[2K", 3)  # the last frame: one line per stack
    text = "".join(final)
    assert "acme-account ok: 3 to create" in text and "acme-staging failed" in text


# --- production guard ---------------------------------------------------------------------------------------


def test_up_on_production_without_yes_and_without_terminal_exits_2_naming_the_flag(fake: FakeFleet) -> None:
    code, out, err = run("up", "--stacks", "acme-*")
    assert code == 2 and out == ""
    assert err.startswith("error: fleet up would update production stack(s) acme-account, acme-prod; pass --yes")
    assert fake.calls == []


def test_up_with_yes_runs_production_and_non_production_needs_no_flag(fake: FakeFleet) -> None:
    assert run("up", "--stacks", "acme-*", "--yes")[0] == 0
    assert sorted(fake.ran()) == ["acme-account", "acme-prod", "acme-staging"]
    fake.calls.clear()
    assert run("up", "--stacks", "acme-staging")[0] == 0
    assert fake.ran() == ["acme-staging"]
    fake.calls.clear()
    assert run("preview", "--stacks", "acme-prod")[0] == 0  # the guard is for `up` only


def test_up_asks_at_a_terminal(fake: FakeFleet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet, "_interactive", lambda: True)
    code, _, err = run("up", "--stacks", "globex-*", stdin="n\n")
    assert code == 2 and "Update production stack(s) globex-account, globex-prod?" in err
    assert "not confirmed: no stack was updated" in err
    assert fake.calls == []
    code, _, _ = run("up", "--stacks", "globex-*", stdin="y\n")
    assert code == 0 and sorted(fake.ran()) == ["globex-account", "globex-prod"]


# --- the real factory, with pulumi.automation patched -------------------------------------------------------


class Captured:
    """Stand-ins for `pulumi.automation` functions that record their arguments."""

    def __init__(self) -> None:
        self.commands: list[object] = []
        self.opened: list[tuple[str, str, dict[str, Any]]] = []
        self.stack_calls: list[tuple[str, str, dict[str, Any]]] = []
        self.opening = self.max_opening = 0

    def command(self) -> object:
        instance = object()
        self.commands.append(instance)
        return instance

    def opener(self, how: str) -> Callable[..., Any]:
        def open_stack(stack_name: str, **kwargs: Any) -> Any:
            self.opened.append((how, stack_name, kwargs))
            self.opening += 1
            self.max_opening = max(self.max_opening, self.opening)
            time.sleep(0.03)  # `pulumi stack select` takes a while
            self.opening -= 1
            captured = self

            class Stack:
                def preview(self, **kw: Any) -> object:
                    captured.stack_calls.append(("preview", stack_name, kw))
                    return auto.PreviewResult("", "", {auto.OpType.CREATE: 1})

                def up(self, **kw: Any) -> object:
                    captured.stack_calls.append(("up", stack_name, kw))
                    summary = auto.UpdateSummary("update", datetime.now(), "", {}, {}, "succeeded",
                                                 resource_changes={auto.OpType.UPDATE: 1})
                    return auto.UpResult("", "", summary, {})

                def refresh(self, **kw: Any) -> object:
                    captured.stack_calls.append(("refresh", stack_name, kw))
                    summary = auto.UpdateSummary("refresh", datetime.now(), "", {}, {}, "succeeded",
                                                 resource_changes={auto.OpType.SAME: 1})
                    return auto.RefreshResult("", "", summary)

            return Stack()
        return open_stack


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    capture = Captured()
    monkeypatch.setattr(auto, "PulumiCommand", capture.command)
    monkeypatch.setattr(auto, "create_or_select_stack", capture.opener("create_or_select_stack"))
    monkeypatch.setattr(auto, "select_stack", capture.opener("select_stack"))
    return capture


def accepted(method: str) -> set[str]:
    return set(inspect.signature(getattr(auto.Stack, method)).parameters) - {"self"}


@pytest.mark.parametrize("command", ["preview", "up"])
def test_real_factory_opens_project_stacks_with_the_pack_and_its_config(captured: Captured, command: str) -> None:
    code, doc = run_json(command, "--stacks", "acme-*", "--org", "modyo", "--parallel", "3",
                         *(["--yes"] if command == "up" else []))
    assert code == 0, doc
    assert len(captured.commands) == 1  # the CLI is found once for the whole fleet
    assert captured.max_opening == 1  # `stack select` rewrites the workspace file: never two at once
    assert captured.opened[0][:2] == ("create_or_select_stack", "modyo/connect/acme-account")
    assert {name for _, name, _ in captured.opened} == {f"modyo/connect/{s}" for s in
                                                        ("acme-account", "acme-prod", "acme-staging")}
    for _, _, kwargs in captured.opened:
        assert kwargs["work_dir"] == str(ROOT)
        assert kwargs["opts"].pulumi_command is captured.commands[0]
        assert kwargs["opts"].work_dir in (None, str(ROOT))
    calls = {name: kw for op, name, kw in captured.stack_calls if op == command}
    kw = calls["modyo/connect/acme-prod"]
    assert kw["policy_packs"] == [str(ROOT / "policies")]
    assert Path(kw["policy_pack_configs"][0]).name == "policy.acme-prod.json"  # the run's own copy
    assert kw["color"] == "never" and callable(kw["on_event"]) and kw["suppress_progress"] is True
    assert set(kw) <= accepted(command)  # every argument exists on pulumi 3.272.0's Stack.<command>
    assert by_stack(doc)["acme-prod"]["changes"]["create" if command == "preview" else "update"] == 1


def test_real_factory_refresh_selects_existing_stacks_only(captured: Captured) -> None:
    code, doc = run_json("refresh", "--stacks", "globex-prod")
    assert code == 0, doc
    assert [(how, name) for how, name, _ in captured.opened] == [("select_stack", "organization/connect/globex-prod")]
    (op, _, kw), = captured.stack_calls
    assert op == "refresh" and set(kw) <= accepted("refresh")
    assert "policy_packs" not in kw


def test_missing_pulumi_cli_is_one_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> object:
        raise FileNotFoundError(2, "No such file or directory", "pulumi")

    monkeypatch.setattr(auto, "PulumiCommand", missing)
    code, out, err = run("preview")
    assert code == 2 and out == ""
    assert err.startswith("error: the pulumi CLI is not on PATH")
    assert "Traceback" not in err
