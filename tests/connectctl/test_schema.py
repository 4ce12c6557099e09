"""`connectctl schema`: the JSON Schema of a stack file, and the committed copy editors use."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from components.config import stack_config_schema
from connectctl.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "schemas" / "stack.schema.json").read_text())
    assert committed == stack_config_schema(), "run `make schema` to refresh schemas/stack.schema.json"


def test_schema_command_prints_it() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == stack_config_schema()


@pytest.mark.parametrize("stack_file", sorted((ROOT / "stacks").glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_every_stack_file_validates(stack_file: Path) -> None:
    jsonschema.validate(yaml.safe_load(stack_file.read_text()), stack_config_schema())


def test_schema_catches_what_editors_should_flag() -> None:
    bad = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())
    bad["config"]["connect:network"]["natGateways"] = "many"
    with pytest.raises(jsonschema.ValidationError, match="many"):
        jsonschema.validate(bad, stack_config_schema())
    bad = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())
    bad["config"]["connect:tenant"]["costCentre"] = "x"
    with pytest.raises(jsonschema.ValidationError, match="costCentre"):
        jsonschema.validate(bad, stack_config_schema())
