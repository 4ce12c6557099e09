"""`connect:network.egressIps`: the egress IPs promised to the client, by NAT zone (issue #21 part 3).

The promise is read by `connectctl audit` only: it must validate like every key (field path, allowed values), be
in the committed JSON Schema, and never change what the program declares.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from components.config import StackConfigError, parse_stack_config, stack_config_schema
from tests.components.test_config_errors import ODD_VALUES, SOURCE, issues_of, with_changes

ROOT = Path(__file__).resolve().parents[2]
PROMISE = {"us-east-1a": "3.40.0.10", "us-east-1b": "3.40.1.10", "us-east-1c": "3.40.2.10"}
KEY = "connect:network.egressIps"


def messages(config: dict[str, Any]) -> list[tuple[str, str]]:
    return [(issue.path, issue.message) for issue in issues_of(config)]


def test_a_promise_by_zone_parses() -> None:
    cfg = parse_stack_config(with_changes((KEY, PROMISE)), SOURCE)
    assert cfg.net.egress_ips == PROMISE
    assert parse_stack_config(with_changes(), SOURCE).net.egress_ips == {}  # none recorded yet: the default


@pytest.mark.parametrize(("value", "path", "expected"), [
    (["3.40.0.10"], KEY, "is not a map zone -> public IPv4 address"),
    ({"us-east-1a": "3.40.0"}, KEY, "us-east-1a: '3.40.0' is not an IPv4 address"),
    ({"us-east-1a": 3}, KEY, "us-east-1a: 3 is not an IPv4 address"),
    ({"us-east-1a": "10.40.0.10"}, KEY, "us-east-1a: 10.40.0.10 is not a public address"),
    ({"us-east-1a": "198.51.100.7"}, KEY, "is not a public address"),  # documentation range: the offline plan's
    ({"us-east-1a": "3.40.0.10", "us-east-1b": "3.40.0.10"}, KEY, "egress IP(s) listed for two zones: 3.40.0.10"),
    ({"eu-west-1a": "3.40.0.10"}, f"{KEY}.eu-west-1a", "'eu-west-1a' is not a zone of us-east-1; allowed: us-east-1a"),
])
def test_a_bad_promise_names_the_field_and_what_is_allowed(value: Any, path: str, expected: str) -> None:
    found = messages(with_changes((KEY, value)))
    assert any(p == path and expected in m for p, m in found), found


def test_a_promise_matches_the_nat_layout() -> None:
    single = messages(with_changes(("connect:network.natGateways", "single"), (KEY, PROMISE)))
    assert (KEY, "3 egress IP(s) for 1 NAT gateway(s) (natGateways: single); allowed: at most 1, one per NAT zone "
                 "(connectctl egress record)") in single
    named = with_changes(("connect:network.availabilityZones", ["us-east-1a", "us-east-1b"]),
                         ("connect:network.natGateways", "single"), ("connect:network.natZone", "us-east-1b"),
                         (KEY, {"us-east-1a": "3.40.0.10"}))
    assert (f"{KEY}.us-east-1a", "'us-east-1a' holds no NAT gateway of this environment (natGateways: single); "
                                 "allowed: us-east-1b") in messages(named)
    allocations = with_changes(("connect:network.egressIpAllocationIds", {"us-east-1a": "eipalloc-0a1b2c3d",
                                                                           "us-east-1b": "eipalloc-0a1b2c3e",
                                                                           "us-east-1c": "eipalloc-0a1b2c3f"}),
                               (KEY, {"us-east-1a": "3.40.0.10"}))
    assert parse_stack_config(allocations, SOURCE).net.egress_ips == {"us-east-1a": "3.40.0.10"}


def test_odd_values_only_ever_raise_stack_config_error() -> None:
    for value in ODD_VALUES:
        try:
            parse_stack_config(with_changes((KEY, value)), SOURCE)
        except StackConfigError as exc:
            assert exc.issues and all(i.path.startswith(KEY) for i in exc.issues), value


def test_the_committed_schema_knows_the_promise() -> None:
    committed = json.loads((ROOT / "schemas" / "stack.schema.json").read_text())
    assert committed == stack_config_schema()  # `make schema` was run
    network = committed["$defs"]["NetworkConfig"]["properties"]
    assert network["egressIps"]["type"] == "object"
    assert network["egressIps"]["additionalProperties"] == {"type": "string"}
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme-prod.yaml").read_text())
    doc["config"]["connect:network"]["egressIps"] = PROMISE
    jsonschema.validate(doc, committed)
    doc["config"]["connect:network"]["egressIps"] = ["3.40.0.10"]
    with pytest.raises(jsonschema.ValidationError, match="is not of type 'object'"):
        jsonschema.validate(doc, committed)


def test_the_promise_declares_nothing(tmp_path: Path) -> None:
    """The program's plan is the same with and without a promise (only the audit reads it)."""
    from connectctl.engine.project import load_project, load_stack
    from connectctl.plan import plan_stack

    project = load_project()
    plain = plan_stack("acme-staging", preview=False, project=project).as_json()
    text = load_stack(project, "acme-staging").path.read_text()
    assert "    natGateways: single\n" in text
    path = tmp_path / "Pulumi.acme-staging.yaml"
    path.write_text(text.replace("    natGateways: single\n",
                                 "    natGateways: single\n    egressIps: {us-east-1a: 3.41.0.10}\n"))
    with_promise = plan_stack(config_file=path, preview=False, project=project,
                              account_file=project.stack_file("acme-account")).as_json()
    assert with_promise["resources"] == plain["resources"] and with_promise["outputs"] == plain["outputs"]
