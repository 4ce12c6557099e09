"""Pulumi.yaml is a valid project file that pins what the program relies on."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from components.config import CONNECT_KEYS

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "reference" / "pulumi-project.schema.json"


def _project() -> dict:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def test_validates_against_the_official_schema() -> None:
    schema_path = SCHEMA if SCHEMA.exists() else ROOT / "schemas" / "pulumi-project.schema.json"
    schema = json.loads(schema_path.read_text())
    jsonschema.validate(_project(), schema)


def test_vendored_schema_matches_reference_when_available() -> None:
    vendored = ROOT / "schemas" / "pulumi-project.schema.json"
    assert vendored.exists(), "the official schema is vendored so the check also runs without shared/"
    if SCHEMA.exists():
        assert json.loads(vendored.read_text()) == json.loads(SCHEMA.read_text())


def test_project_shape() -> None:
    project = _project()
    assert project["name"] == "connect"
    assert project["runtime"]["name"] == "python"
    assert project["stackConfigDir"] == "stacks"
    assert project["config"]["pulumi:disable-default-providers"]["value"] == ["aws"]


def test_every_key_of_ours_is_typed_and_described() -> None:
    config = _project()["config"]
    for full_key in CONNECT_KEYS:
        entry = config[full_key.split(":", 1)[1]]
        assert entry["type"] in {"object", "array"}
        assert len(entry["description"]) > 20


def test_stack_files_carry_the_schema_modeline() -> None:
    for stack_file in sorted((ROOT / "stacks").glob("Pulumi.*.yaml")):
        first = stack_file.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/stack.schema.json", stack_file.name
