"""The pack config is never silent (issue #16, part 4): what the pack needs comes from the stack file, a missing
`policy.<stack>.json` changes nothing, a file at odds with the stack file is an error, and every report names the
pack config it used.

Plans are the slow part: each stack is planned twice at most (with its committed pack config, and without any).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from connectctl.check import CheckResult, check_file
from connectctl.engine.findings import PackConfigError
from connectctl.engine.project import Project, load_project, load_stack
from connectctl.formats import CheckFormat
from connectctl.packconfig import NONE, PackConfigSource, PackSettingsConflict, merged, stack_settings
from connectctl.plan import Plan, pack_config_for, plan_stack, validate
from connectctl.reports import as_json, as_junit, as_sarif, render
from tests.components.plans import planned
from tests.connectctl.conftest import connectctl
from tests.connectctl.state import as_state_resource

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"


def findings(plan: Plan) -> list[tuple[str, str, str, str]]:
    return sorted((v.policy, v.level, v.urn, v.message) for v in plan.violations)


def without_pack_configs(folder: Path) -> Project:
    """The project with a stack config directory holding the stack files only (no `policy.*.json`)."""
    for path in STACKS.glob("Pulumi.*.yaml"):
        shutil.copy(path, folder)
    return dataclasses.replace(load_project(), stack_config_dir=folder)


@pytest.mark.parametrize("stack", ["acme-prod", "acme-staging", "acme-account"])
def test_a_missing_pack_config_changes_nothing(stack: str, tmp_path: Path) -> None:
    """Without its pack config, acme-prod used to get 3 mandatory `ecs-service-autoscaling` findings (its
    pilot-light standby at zero tasks), acme-staging an `alb-hardening` one and acme-account 9 (the operator's
    roles, the break-glass role): the settings now come from the stack file."""
    project = without_pack_configs(tmp_path)
    bare = plan_stack(stack, project=project)
    assert bare.pack == PackConfigSource(file=NONE, derived_from=str(tmp_path / f"Pulumi.{stack}.yaml"))
    assert findings(bare) == findings(planned(stack))
    assert bare.pack_config == planned(stack).pack_config


def test_the_committed_pack_configs_are_the_stack_settings() -> None:
    """So `pulumi preview --policy-pack-config stacks/policy.<stack>.json` judges as `connectctl plan` does."""
    project = load_project()
    for stack in project.stacks():
        cfg = validate(load_stack(project, stack))
        assert json.loads((STACKS / f"policy.{stack}.json").read_text()) == stack_settings(cfg), stack


def test_the_plan_names_the_file_and_the_stack_file() -> None:
    plan = planned("acme-staging")
    assert plan.pack == PackConfigSource("stacks/policy.acme-staging.json", "stacks/Pulumi.acme-staging.yaml")
    doc = plan.as_json()
    assert list(doc)[:4] == ["project", "stack", "preview", "packConfig"]
    assert doc["packConfig"] == {"file": "stacks/policy.acme-staging.json",
                                 "derivedFrom": "stacks/Pulumi.acme-staging.yaml"}
    assert str(plan.pack) == ("Pack config: stacks/policy.acme-staging.json, over the settings of "
                              "stacks/Pulumi.acme-staging.yaml")


def test_the_labels_say_none() -> None:
    bare = PackConfigSource(derived_from="x/Pulumi.a-b.yaml")
    assert str(bare) == "Pack config: none, the settings of x/Pulumi.a-b.yaml"
    assert str(PackConfigSource()) == "Pack config: none, the pack's defaults (no stack named)"
    assert PackConfigSource().as_json() == {"file": "none", "derivedFrom": "none"}


def plan_check(stack: str) -> CheckResult:
    plan = planned(stack)
    return CheckResult(project=plan.capture.project, stack=plan.capture.stack, source="plan",
                       source_file=plan.stack_file.display_path, resources=plan.resources, violations=plan.violations,
                       pack_config=plan.pack_config, stack_file=plan.stack_file, config=plan.config, pack=plan.pack)


def test_every_check_format_names_the_pack_config() -> None:
    result = plan_check("acme-staging")
    expected = {"file": "stacks/policy.acme-staging.json", "derivedFrom": "stacks/Pulumi.acme-staging.yaml"}
    assert as_json(result)["packConfig"] == expected
    assert as_sarif(result)["runs"][0]["properties"]["packConfig"] == expected
    properties = {p.get("name"): p.get("value") for p in ET.fromstring(as_junit(result)).iter("property")}
    assert properties["packConfig"] == "stacks/policy.acme-staging.json"
    assert properties["packConfigDerivedFrom"] == "stacks/Pulumi.acme-staging.yaml"
    assert render(result, CheckFormat.text) is None  # printed by rich: checked through the CLI below


def test_a_state_file_without_a_stack_says_none(tmp_path: Path) -> None:
    """No stack named: the pack's defaults, and every format says so."""
    plan = planned("acme-staging")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": [
        as_state_resource(r) for r in plan.resources]}}))
    result = check_file(state, "state")
    assert result.pack == PackConfigSource() and result.pack_config is None
    assert as_json(result)["packConfig"] == {"file": "none", "derivedFrom": "none"}
    properties = {p.get("name"): p.get("value") for p in ET.fromstring(as_junit(result)).iter("property")}
    assert properties["packConfig"] == "none"
    with_stack = check_file(state, "state", stack="acme-staging")
    assert with_stack.pack.file == "stacks/policy.acme-staging.json"


def test_check_text_names_the_pack_config_in_a_process() -> None:
    result = connectctl("check", "acme-account")
    assert result.returncode == 0, result.stderr
    assert ("Pack config: stacks/policy.acme-account.json, over the settings of stacks/Pulumi.acme-account.yaml"
            in result.stdout.replace("\n", " "))


def edited_copy(tmp_path: Path, stack: str, old: str, new: str, pack_config: dict[str, object] | None) -> Path:
    text = (STACKS / f"Pulumi.{stack}.yaml").read_text()
    assert old in text
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(text.replace(old, new))
    if pack_config is not None:
        (tmp_path / f"policy.{stack}.json").write_text(json.dumps(pack_config))
    return path


def test_a_pack_config_at_odds_with_the_stack_file_is_an_error(tmp_path: Path) -> None:
    """The DR region moved in the stack file, the pack config left behind: `pulumi preview` would judge another DR
    region than `connectctl plan`. Refused before anything is planned, naming both files and every setting."""
    left_behind = json.loads((STACKS / "policy.acme-staging.json").read_text())
    path = edited_copy(tmp_path, "acme-staging", "drRegion: us-west-2", "drRegion: us-east-2", left_behind)
    project = load_project()
    stack_file = load_stack(project, path=path)
    with pytest.raises(PackSettingsConflict) as caught:
        pack_config_for(project, stack_file, validate(stack_file))
    message = str(caught.value)
    moved = [rule for rule, entry in left_behind.items() if "drRegion" in entry]
    assert len(moved) >= 4  # ecr-dr-replication, backup-cross-region-copy, data-store-dr-replication, ...
    assert message.startswith(f"{tmp_path}/policy.acme-staging.json: disagrees with {path} ({len(moved)} setting(s))")
    for rule in moved:
        assert f'  {rule}.drRegion: "us-west-2"; the stack file says "us-east-2" (connect:tenant.drRegion)' in message
    assert "allowed: the stack file's value, or no such key" in message
    assert isinstance(caught.value, PackConfigError)
    result = connectctl("plan", "--config-file", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "disagrees with" in result.stderr and "us-east-2" in result.stderr


def test_the_file_adds_levels_exemptions_and_tunables() -> None:
    settings = {"alb-hardening": {"requireDeletionProtection": False}, "tenant-tags": {"client": "acme"}}
    user = {"alb-hardening": "mandatory", "tenant-tags": {"requireDeletionProtection": False, "exemptions": []},
            "log-group-encrypted-retained": {"minRetentionDays": 400}, "tenant-single-account": {"client": "acme"}}
    assert merged(settings, user, "p.json", "s.yaml") == {
        "alb-hardening": {"requireDeletionProtection": False, "enforcementLevel": "mandatory"},
        "tenant-tags": {"client": "acme", "requireDeletionProtection": False, "exemptions": []},
        "log-group-encrypted-retained": {"minRetentionDays": 400},
        "tenant-single-account": {"client": "acme"},
    }
    same = merged(settings, {"tenant-tags": {"client": "acme"}}, "p.json", "s.yaml")
    assert same["tenant-tags"] == {"client": "acme"}


def test_an_entry_that_is_neither_a_level_nor_an_object_is_refused() -> None:
    with pytest.raises(PackConfigError, match=r"^p.json: alb-hardening: \[\"advisory\"\]; allowed: an enforcement "
                                              r"level"):
        merged({}, {"alb-hardening": ["advisory"]}, "p.json", "s.yaml")


def test_a_new_client_s_pack_configs_are_valid_for_the_pack(tmp_path: Path) -> None:
    """`connectctl new` writes `stack_settings` without loading the pack (it stays under half a second): they are
    valid pack configs, as the engine and `load_pack_config` check them, for production and other environments."""
    from connectctl.engine.analyzer import effective_config, load_pack, load_pack_config
    from connectctl.new import new_client

    for env, cidr in (("prod", "10.50.0.0/16"), ("staging", "10.51.0.0/16")):
        folder = tmp_path / env
        new_client("newco", account_id="333333333333", region="us-east-1", dr_region="us-west-2", cidr=cidr,
                   environment=env, directory=folder)
        for path in sorted(folder.glob("policy.*.json")):
            effective_config(load_pack(), load_pack_config(path))
        assert {p.name for p in folder.glob("policy.*.json")} == {"policy.newco-account.json",
                                                                 f"policy.newco-{env}.json"}


def test_the_critical_path_report_names_the_pack_config_too(capsys: pytest.CaptureFixture[str]) -> None:
    from connectctl.critical_path import print_report

    plan = planned("acme-staging")
    print_report(plan, json_output=False)
    assert capsys.readouterr().out.rstrip().endswith(
        "Pack config: stacks/policy.acme-staging.json, over the settings of stacks/Pulumi.acme-staging.yaml")
    print_report(plan, json_output=True)
    assert json.loads(capsys.readouterr().out)["packConfig"]["file"] == "stacks/policy.acme-staging.json"
