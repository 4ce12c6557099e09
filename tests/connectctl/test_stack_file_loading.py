"""Stack files through `load_stack`, as the CLI would read them: YAML, typed config, secrets, config strings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from components.config import CONNECT_KEYS, StackConfigError, parse_stack_config
from connectctl.engine.project import Project, ProjectError, load_project, load_stack, stand_in

VALID = """\
config:
  aws:region: us-east-1
  connect:tenant:
    client: test
    environment: dev
    accountId: "111111111111"
    drRegion: us-west-2
  connect:network:
    cidr: 10.40.0.0/16
    availabilityZones:
      - us-east-1a
      - us-east-1b
    flowLogs:
      retentionDays: 30
"""


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project()


def write(tmp_path: Path, text: str, name: str = "Pulumi.test-dev.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(project: Project, path: Path) -> str:
    with pytest.raises(ProjectError) as caught:
        load_stack(project, path=path)
    return str(caught.value)


def test_the_real_project_declares_both_objects(project: Project) -> None:
    assert project.name == "connect"
    assert project.stack_config_dir == project.root / "stacks"
    assert project.declared["connect:tenant"]["type"] == "object"
    assert project.declared["connect:network"]["type"] == "object"
    assert project.project_values["pulumi:disable-default-providers"] == ["aws"]


def test_valid_file_loads_with_stack_name_lines_and_config(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    stack = load_stack(project, path=path)
    assert stack.stack == "test-dev"
    assert stack.secret_keys == []
    assert stack.config["aws:region"] == "us-east-1"
    assert stack.config["connect:network"]["availabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert stack.line_of("connect:network.cidr") == 9
    assert stack.line_of("connect:network.availabilityZones[1]") == 12
    assert stack.line_of("connect:network.flowLogs.retentionDays") == 14
    # An unknown sub-key falls back to the nearest parent's line.
    assert stack.line_of("connect:tenant.costCenter") == 3
    cfg = parse_stack_config(stack.config, stack.display_path)
    assert cfg.explicit_zones() == ["us-east-1a", "us-east-1b"]
    assert cfg.net.flow_logs.retention_days == 30


def test_the_example_stack_loads_by_name_and_validates(project: Project) -> None:
    stack = load_stack(project, "acme-prod")
    assert stack.display_path == "stacks/Pulumi.acme-prod.yaml"
    cfg = parse_stack_config(stack.config, stack.display_path)
    assert cfg.name_prefix == "acme-prod"
    assert cfg.net.nat_gateways == "perAz"


def test_yaml_syntax_error_names_file_and_line(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  aws:region: us-east-1\n  connect:tenant: {client: acme\n  connect:network: x\n")
    message = load_error(project, path)
    assert message.startswith(f"{path}:")
    assert "YAML error" in message
    match = re.match(rf"{re.escape(str(path))}:(\d+):(\d+): ", message)
    assert match, message
    assert int(match.group(1)) in (3, 4)


def test_yaml_bad_indentation_names_the_line(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  aws:region: us-east-1\n connect:tenant: {}\n")
    message = load_error(project, path)
    assert f"{path}:3:" in message


def test_tab_indentation_names_the_line(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n\taws:region: us-east-1\n")
    assert f"{path}:2:1: YAML error" in load_error(project, path)


def test_duplicated_key_names_the_key_and_both_lines(project: Project, tmp_path: Path) -> None:
    text = VALID.replace("    flowLogs:", "    cidr: 10.50.0.0/16\n    flowLogs:")
    path = write(tmp_path, text)
    message = load_error(project, path)
    assert "duplicated key 'cidr'" in message
    assert "first on line 9" in message
    assert message.startswith(f"{path}:13:5: YAML error")


def test_duplicated_top_level_config_key(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "  aws:region: eu-west-1\n")
    message = load_error(project, path)
    assert "duplicated key 'aws:region'" in message
    assert "first on line 2" in message
    assert f"{path}:15:3:" in message


def test_network_as_a_string_fails_the_typed_config_check(project: Project, tmp_path: Path) -> None:
    text = VALID.split("  connect:network:")[0] + "  connect:network: 10.40.0.0/16\n"
    path = write(tmp_path, text)
    message = load_error(project, path)
    assert "connect:network: must be of type 'object'; got str" in message
    assert f"{path}:8: connect:network" in message


def test_tenant_as_a_list_fails_the_typed_config_check(project: Project, tmp_path: Path) -> None:
    text = VALID.replace("  connect:tenant:\n", "  connect:tenant:\n    - acme\n  connect:x:\n")
    message = load_error(project, write(tmp_path, text))
    assert "connect:tenant: must be of type 'object'; got list" in message


def test_missing_tenant_is_reported_as_required(project: Project, tmp_path: Path) -> None:
    text = "config:\n  aws:region: us-east-1\n  connect:network:\n    cidr: 10.40.0.0/16\n"
    message = load_error(project, write(tmp_path, text))
    assert "connect:tenant: required key is missing" in message
    assert "accountId" in message  # the key's description from Pulumi.yaml
    assert "connect:network" not in message


def test_null_tenant_and_network_are_both_reported_as_required(project: Project, tmp_path: Path) -> None:
    message = load_error(project, write(tmp_path, "config:\n  connect:tenant:\n  connect:network: ~\n"))
    assert "connect:tenant: required key is missing" in message
    assert "connect:network: required key is missing" in message


def test_empty_file_reports_the_required_key(project: Project, tmp_path: Path) -> None:
    """Only `tenant` is required by Pulumi.yaml; `network` has a default ({}) because account stacks
    have none, and our own validation then asks environment stacks for it."""
    message = load_error(project, write(tmp_path, ""))
    assert "connect:tenant: required key is missing" in message
    assert "connect:network" not in message


def test_unknown_top_level_key_is_rejected(project: Project, tmp_path: Path) -> None:
    message = load_error(project, write(tmp_path, VALID.replace("config:", "confg:")))
    assert "unknown top-level key(s) confg" in message
    assert "allowed: config, secretsprovider, encryptedkey, encryptionsalt, environment" in message


def test_top_level_list_is_rejected(project: Project, tmp_path: Path) -> None:
    message = load_error(project, write(tmp_path, "- config\n"))
    assert "a stack file is a mapping with a 'config:' key; got list" in message


def test_config_list_is_rejected(project: Project, tmp_path: Path) -> None:
    message = load_error(project, write(tmp_path, "config:\n  - aws:region\n"))
    assert "'config' must be a mapping" in message


def test_missing_file_and_unknown_stack(project: Project, tmp_path: Path) -> None:
    assert "no such file" in load_error(project, tmp_path / "Pulumi.nope.yaml")
    expected = r"no stack file stacks/Pulumi\.nope\.yaml for stack 'nope'; stacks: .*acme-prod"
    with pytest.raises(ProjectError, match=expected):
        load_stack(project, "nope")


def test_secure_values_get_a_stand_in_and_are_listed(project: Project, tmp_path: Path) -> None:
    text = VALID + "  connect:apiToken:\n    secure: v1:AAAABBBBCCCC\n"
    text = text.replace("    drRegion: us-west-2\n", "    drRegion: us-west-2\n    costCenter:\n      secure: v1:XYZ\n")
    stack = load_stack(project, path=write(tmp_path, text))
    assert stack.secret_keys == ["connect:apiToken", "connect:tenant"]
    assert stack.config["connect:apiToken"] == stand_in("connect:apiToken")
    assert "connect_apiToken" in stack.config["connect:apiToken"]
    assert "v1:AAAABBBBCCCC" not in json.dumps(stack.config)
    assert stack.config["connect:tenant"]["costCenter"] == stand_in("connect:tenant")
    assert stack.program_config()["connect:apiToken"] == stand_in("connect:apiToken")


def test_secret_object_skips_the_type_check(project: Project, tmp_path: Path) -> None:
    text = VALID.split("  connect:network:")[0] + "  connect:network:\n    secure: v1:abc\n"
    stack = load_stack(project, path=write(tmp_path, text))
    assert "connect:network" in stack.secret_keys


def test_program_config_encodes_objects_and_keeps_strings(project: Project, tmp_path: Path) -> None:
    stack = load_stack(project, path=write(tmp_path, VALID + "  other:replicas: 3\n  other:debug: true\n"))
    config = stack.program_config()
    assert all(isinstance(value, str) for value in config.values())
    assert config["aws:region"] == "us-east-1"
    assert json.loads(config["connect:tenant"]) == stack.config["connect:tenant"]
    assert json.loads(config["connect:network"])["availabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert json.loads(config["connect:network"])["flowLogs"] == {"retentionDays": 30}
    assert config["other:replicas"] == "3"
    assert config["other:debug"] == "true"
    # Project-level values from Pulumi.yaml are handed over too.
    assert config["pulumi:disable-default-providers"] == '["aws"]'
    # Round trip: what the program decodes is what the stack file says.
    decoded = {k: json.loads(v) if k in CONNECT_KEYS else v for k, v in config.items()
               if not k.startswith("other:")}
    ours = {k: v for k, v in stack.config.items() if not k.startswith("other:")}
    assert parse_stack_config(decoded, "x") == parse_stack_config(ours, "x")
    # ...and a namespace no one reads is refused by the config check (a typo of ours would pass silently)
    with pytest.raises(StackConfigError, match="unknown namespace 'other'"):
        parse_stack_config(stack.config, "x")


def test_short_keys_get_the_project_namespace(project: Project, tmp_path: Path) -> None:
    text = VALID.replace("  connect:tenant:", "  tenant:").replace("  connect:network:", "  network:")
    stack = load_stack(project, path=write(tmp_path, text))
    assert set(stack.config) == {"aws:region", "connect:tenant", "connect:network"}
    assert stack.line_of("connect:network.cidr") == 9


# --- inputs that used to crash with a traceback (see the report) ---------------------------------


def test_list_as_mapping_key_is_a_yaml_error(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  ? [a, b]\n  : 1\n")
    assert f"{path}:2:5: YAML error: a key must be a plain value" in load_error(project, path)


def test_mixed_type_top_level_keys_are_listed(project: Project, tmp_path: Path) -> None:
    message = load_error(project, write(tmp_path, "1: x\n~: y\nconfg: {}\n"))
    assert "unknown top-level key(s) 1, None, confg" in message


def test_deep_nesting_is_a_yaml_error(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  connect:tenant: " + "[" * 3000 + "]" * 3000 + "\n")
    assert "nested too deeply" in load_error(project, path)


def test_timestamps_stay_strings_as_in_the_cli(project: Project, tmp_path: Path) -> None:
    stack = load_stack(project, path=write(tmp_path, VALID.replace("client: test", "client: 2024-01-01")))
    assert stack.config["connect:tenant"]["client"] == "2024-01-01"
    assert json.loads(stack.program_config()["connect:tenant"])["client"] == "2024-01-01"
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(stack.config, stack.display_path)
    assert [issue.path for issue in caught.value.issues] == ["connect:tenant.client"]


def test_binary_value_cannot_be_passed_to_the_program(project: Project, tmp_path: Path) -> None:
    message = load_error(project, write(tmp_path, VALID.replace("client: test", "client: !!binary dGVzdA==")))
    assert "connect:tenant: value cannot be passed to the program" in message


def test_merge_keys_work_and_explicit_keys_override(project: Project, tmp_path: Path) -> None:
    text = VALID.replace("    cidr: 10.40.0.0/16\n", "    <<: {cidr: 10.50.0.0/16, natGateways: single}\n"
                         "    cidr: 10.40.0.0/16\n")
    stack = load_stack(project, path=write(tmp_path, text))
    assert stack.config["connect:network"]["cidr"] == "10.40.0.0/16"
    assert stack.config["connect:network"]["natGateways"] == "single"


# --- robustness: odd YAML values give ProjectError or StackConfigError, never another exception ---

ODD_YAML_VALUES = [
    "~", "null", "''", '""', "[]", "{}", "[~]", "[[]]", "[{}]", "{a: ~}", "{1: 2}", "{~: 1}", "1.5", "-0.0",
    ".nan", ".inf", "-.inf", "true", "false", "yes", "0", "-1", "0x1F", "0o17", "1e400", "9" * 400, "2024-01-01",
    "2024-01-01T10:00:00Z", "'ünïcödé'", "'🚀'", "'" + "x" * 50_000 + "'", '"\\0"', '"\\n"', "|\n      block\n",
    ">-\n      folded\n", "!!binary dGVzdA==", "!!set {a, b}", "!!str 3", "!!int '3'", "!!float 1",
    "!!python/object:os.system {}", "&a [1, *a]", "*undefined", "{secure: v1:abc}", "{secure: [1]}",
    "[a, {secure: x}]", "? [a]\n      : b", "{a: b, a: c}", "[", "{", "'unterminated", "@reserved", "`tick",
    "%percent", "- x\n      - y", "10.40.0.0/16", "us-east-1",
]
FIELDS = [
    "aws:region", "connect:tenant", "connect:network", "connect:tenant.client", "connect:tenant.accountId",
    "connect:network.cidr", "connect:network.availabilityZones", "connect:network.egressIpAllocationIds",
    "connect:network.flowLogs.retentionDays",
]


def _stack_text(field: str, value: str) -> str:
    """A valid stack file (block style) whose `field` holds `value`, written verbatim."""
    tenant = {"client": "test", "environment": "dev", "accountId": '"111111111111"', "drRegion": "us-west-2"}
    network = {"cidr": "10.40.0.0/16", "natGateways": "single"}
    top, _, sub = field.partition(".")
    blocks: dict[str, str | dict[str, str]] = {"aws:region": "us-east-1", "connect:tenant": tenant,
                                               "connect:network": network}
    if not sub:
        blocks[top] = value
    elif sub == "flowLogs.retentionDays":
        network["flowLogs"] = f"\n      retentionDays: {value}"
    else:
        (tenant if top == "connect:tenant" else network)[sub] = value
    text = "config:\n"
    for key, block in blocks.items():
        if isinstance(block, str):
            text += f"  {key}: {block}\n"
        else:
            text += f"  {key}:\n" + "".join(f"    {k}: {v}\n" for k, v in block.items())
    return text


def test_there_are_about_fifty_odd_yaml_values() -> None:
    assert len(ODD_YAML_VALUES) >= 50


@pytest.mark.parametrize("field", FIELDS)
def test_odd_yaml_values_only_raise_project_or_stack_config_errors(
    project: Project, tmp_path: Path, field: str
) -> None:
    outcomes: dict[str, Any] = {}
    for index, value in enumerate(ODD_YAML_VALUES):
        path = write(tmp_path, _stack_text(field, value), name=f"Pulumi.odd-{index}.yaml")
        try:
            stack = load_stack(project, path=path)
            assert all(isinstance(v, str) for v in stack.program_config().values())
            parse_stack_config(stack.config, stack.display_path)
            outcomes[value] = "ok"
        except ProjectError as exc:
            assert str(exc)
            outcomes[value] = "project"
        except StackConfigError as exc:
            assert exc.issues
            outcomes[value] = "config"
    # The harness itself must put the value where intended: a plain bad value is a config issue.
    assert outcomes["[[]]"] in ("config", "project")
    assert outcomes["'unterminated"] == "project"


def test_alias_inside_its_own_anchor_is_rejected(project: Project, tmp_path: Path) -> None:
    message = load_error(project, write(tmp_path, VALID + "  connect:loop: &a [1, *a]\n"))
    assert "a config value contains itself" in message


# --- found by the stack-file fuzzer (tests/fuzz/): each was a traceback, a hang, a silent overwrite or a flood ---


def _bomb(depth: int, width: int = 9) -> str:
    rows = [f"  connect:lol0: &a0 [{', '.join(['lol'] * width)}]"]
    rows += [f"  connect:lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth)]
    return VALID + "\n".join(rows) + "\n"


def test_an_alias_bomb_is_refused_at_once_with_its_line(project: Project, tmp_path: Path) -> None:
    """9 aliases of 9 aliases, 9 levels deep: 387 million values once expanded (ran for minutes, then OOM)."""
    import time

    started = time.perf_counter()
    message = load_error(project, write(tmp_path, _bomb(9)))
    assert time.perf_counter() - started < 5
    assert "YAML error: aliases expand the document by more than 10000 values" in message
    assert re.match(rf"{re.escape(str(tmp_path))}/Pulumi\.test-dev\.yaml:(1[6-9]|2\d):\d+: ", message), message


def test_modest_alias_reuse_still_loads(project: Project, tmp_path: Path) -> None:
    stack = load_stack(project, path=write(tmp_path, _bomb(3)))  # 9 x 9 x 9 = 729 values: fine
    assert len(stack.config["connect:lol2"]) == 9


@pytest.mark.parametrize(("value", "expected"), [
    ("!!int x", "'x' cannot be read as int"),
    ("!!float x", "'x' cannot be read as float"),
    ("!!bool maybe", "'maybe' cannot be read as bool"),
    ("9" * 5000, "cannot be read as int: more than 4300 digits"),
    ("!!map [1]", "a sequence cannot be read as map"),
])
def test_a_value_its_tag_cannot_hold_is_a_yaml_error_at_its_line(
    project: Project, tmp_path: Path, value: str, expected: str
) -> None:
    path = write(tmp_path, VALID.replace("retentionDays: 30", f"retentionDays: {value}"))
    message = load_error(project, path)
    assert message.startswith(f"{path}:14:22: YAML error: ") and expected in message
    assert len(message) < 400


def test_a_number_too_long_for_the_program_names_its_key(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("retentionDays: 30", "retentionDays: 0b" + "1" * 20_000))
    message = load_error(project, path)
    assert "connect:network: value cannot be passed to the program: a number of more than 4300 digits" in message
    assert "set_int_max_str_digits" not in message


def test_a_control_character_is_named_with_its_line(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("client: test", "client: te\x00st"))
    assert load_error(project, path).startswith(f"{path}:4:15: YAML error: character #x0000 is not allowed")


def test_a_file_that_is_not_utf8_is_named_with_its_line(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.test-dev.yaml"
    path.write_bytes(VALID.replace("client: test", "client: t\u00e9st").encode("latin-1"))
    assert load_error(project, path) == f"{path}:4:14: cannot be read: not UTF-8 text (byte 0xe9); save the file " \
                                        "as UTF-8"


@pytest.mark.parametrize(("extra", "key", "spelled"), [
    ("  tenant: {client: other}\n", "connect:tenant", "'connect:tenant' and 'tenant'"),
    ("  1: x\n  '1': y\n", "connect:1", "1 and '1'"),
])
def test_one_key_spelled_twice_is_refused(project: Project, tmp_path: Path, extra: str, key: str,
                                          spelled: str) -> None:
    """The CLI sees `tenant` and `connect:tenant` as one key: PyYAML kept both and the last silently won."""
    path = write(tmp_path, VALID + extra)
    line = len((VALID + extra).splitlines())
    assert load_error(project, path) == f"{path}:{line}: {key}: set twice (as {spelled}); keep one"


def test_an_alias_inside_its_own_anchor_names_its_key_and_line(project: Project, tmp_path: Path) -> None:
    message = load_error(project, write(tmp_path, VALID + "  connect:loop: &a [1, *a]\n"))
    line = len(VALID.splitlines()) + 1
    assert f"Pulumi.test-dev.yaml:{line}: connect:loop: a config value contains itself" in message


def test_nesting_too_deep_gives_a_line(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  connect:tenant: " + "[" * 3000 + "]" * 3000 + "\n")
    assert re.match(rf"{re.escape(str(path))}:2:\d+: YAML error: nested too deeply", load_error(project, path))


def test_huge_keys_are_cut_short_in_messages(project: Project, tmp_path: Path) -> None:
    huge = "k" * 100_000
    assert len(load_error(project, write(tmp_path, f"{huge}: 1\n"))) < 400
    assert len(load_error(project, write(tmp_path, VALID + f"  {huge}: 1\n  {huge}: 2\n"))) < 400


def test_a_huge_stack_file_is_refused_unread(tmp_path: Path) -> None:
    """60 MB (sparse: no disk, no time) is refused from its size alone, quickly, naming the limit."""
    import subprocess
    import sys
    import time

    from connectctl.engine.project import MAX_YAML_BYTES

    path = tmp_path / "Pulumi.acme-prod.yaml"
    with path.open("wb") as handle:
        handle.truncate(60 * 1024 * 1024)
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "connectctl", "plan", "--config-file", str(path)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert time.monotonic() - started < 60  # well under a minute even on a loaded machine (benchmarks time it)
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    flat = " ".join(run.stderr.split())
    assert f"{path}: 62,914,560 bytes; allowed: a stack or project file of at most 1 MiB" in flat
    assert MAX_YAML_BYTES == 1024 * 1024


def test_the_octal_advice_quotes_the_digits_as_written(tmp_path: Path) -> None:
    """`accountId: 011111111111` is octal to YAML 1.1 (1227133513): the advice quotes what was written."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    text = (root / "stacks" / "Pulumi.acme-prod.yaml").read_text().replace('accountId: "111111111111"',
                                                                          "accountId: 011111111111", 1)
    path = tmp_path / "Pulumi.acme-prod.yaml"
    path.write_text(text)
    run = subprocess.run([sys.executable, "-m", "connectctl", "plan", "--config-file", str(path)], cwd=root,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    flat = " ".join(run.stderr.split())
    assert 'connect:tenant.accountId: 011111111111 is a number; write the account id as a quoted 12-digit string ' \
           '("011111111111")' in flat
    assert "001227133513" not in flat
