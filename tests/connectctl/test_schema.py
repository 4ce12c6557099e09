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


def _property(schema: dict, model: str, key: str) -> dict:
    prop = schema["$defs"][model]["properties"][key]
    options = [option for option in prop.get("anyOf", [prop]) if option.get("type") != "null"]
    return {**prop, **options[0]}


@pytest.mark.parametrize(("model", "key", "low", "high"), [
    ("DrConfig", "warmStandbyBase", 1, 10),
    ("CapacityConfig", "base", 1, 1000),
    ("CapacityConfig", "max", 1, 1000),
    ("BackupConfig", "retentionDays", 1, 36500),
    ("BackupConfig", "copyRetentionDays", 1, 36500),
    ("DatabaseConfig", "backupRetentionDays", 1, 35),
    ("AccessLogsConfig", "retentionDays", 30, 3653),
    ("LifecycleConfig", "untaggedExpireDays", 1, 365),
    ("ServiceConfig", "port", 1, 65535),
    ("ServiceConfig", "priority", 1, 50000),
    ("ScalingConfig", "cpuTarget", 10, 90),
    ("HealthCheckConfig", "interval", 5, 300),
    ("AccessConfig", "maxSessionHours", 1, 12),
    ("AlertThresholds", "evaluationPeriods", 1, 24),
])
def test_schema_carries_the_bounds(model: str, key: str, low: int, high: int) -> None:
    prop = _property(stack_config_schema(), model, key)
    assert (prop.get("minimum"), prop.get("maximum")) == (low, high)


def test_schema_carries_retentions_and_patterns() -> None:
    schema = stack_config_schema()
    assert 365 in _property(schema, "FlowLogsConfig", "retentionDays")["enum"]
    assert min(_property(schema, "AccessConfig", "logRetentionDays")["enum"]) == 365
    assert _property(schema, "TenantConfig", "accountId")["pattern"] == r"^\d{12}$"
    assert _property(schema, "TenantConfig", "client")["pattern"] == "^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
    assert (_property(schema, "ServiceConfig", "name")["minLength"],
            _property(schema, "ServiceConfig", "name")["maxLength"]) == (2, 24)
    assert "pattern" in _property(schema, "AccessConfig", "ciRoleArn")


@pytest.mark.parametrize(("section", "key", "value"), [
    ("connect:dr", "warmStandbyBase", 11),
    ("connect:tenant", "accountId", "11111111111"),
    ("connect:tenant", "client", "Acme"),
])
def test_editors_flag_out_of_range_values(section: str, key: str, value: object) -> None:
    bad = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())
    bad["config"][section][key] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, stack_config_schema())


def test_bounds_never_speak_before_the_validators() -> None:
    """The model still words the message of an out-of-range value (the constraint is for the schema)."""
    from components.config import DrConfig

    with pytest.raises(ValueError, match="allowed: 1 to 10 tasks per service"):
        DrConfig.model_validate({"warmStandbyBase": 11})
