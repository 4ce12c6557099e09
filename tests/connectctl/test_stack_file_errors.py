"""Stack-file mistakes in our words (issue #16, part 5): every YAML structure error at the line to fix, with the
field it is in and a hint, and an unknown key's did-you-mean naming the parent it belongs under.

The YAML errors are PyYAML's scanner, parser, composer and constructor errors, one case per class; the line is
where a person edits (PyYAML reports an unclosed quote or bracket at the end of the file, a key without its colon
on the line after it). Each message is `FILE:LINE:COLUMN: YAML error: WHAT (in FIELD); HINT`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectctl.engine.project import Project, ProjectError, load_project, load_stack
from connectctl.engine.yaml_errors import field_path
from connectctl.plan import ConfigReport, validate

ROOT = Path(__file__).resolve().parents[2]
TENANT = "config:\n  connect:tenant:\n"

# name: (text, line:column, what, field, hint)
CASES: dict[str, tuple[str, str, str, str, str]] = {
    "indented-more-than-its-sibling": (
        "config:\n  aws:region: us-east-1\n    connect:tenant: {}\n", "3:5",
        "line 3 is indented more than line 2 (`aws:region: us-east-1`), whose key already has a value",
        "connect:tenant", "indent it like its sibling keys (2 spaces)"),
    "indented-less-than-its-siblings": (
        TENANT + "    client: acme\n   environment: prod\n", "4:4",
        "line 4 is indented 3 spaces, which matches no mapping above it (keys above it are at 0, 2 or 4 spaces)",
        "connect:tenant.environment", "keys of one mapping start in the same column"),
    "indented-one-space": (
        "config:\n  aws:region: us-east-1\n connect:tenant: {}\n", "3:2",
        "line 3 is indented 1 space, which matches no mapping above it", "connect:tenant",
        "indent it like its siblings"),
    "key-at-the-column-of-the-list-items": (
        "config:\n  connect:services:\n    - name: a\n      cpu: 256\n    memory: 512\n", "5:5",
        "`memory: 512` is a key at the column of the list's '- ' (line 3)", "connect:services.memory",
        "indent it with the keys of its item, or start a new item with '- '"),
    "list-item-in-a-mapping": (
        TENANT + "    client: acme\n  - x\n", "4:3",
        "a list item ('- ') where the mapping around it expects a key", "config",
        "put the list under a key of its own"),
    "unclosed-double-quote": (
        TENANT + '    client: "acme\n    environment: prod\n', "3:13",
        'the " opened here is never closed: the value runs to the end of the file', "connect:tenant.client",
        'close it on the same line ("...")'),
    "unclosed-single-quote": (
        TENANT + "    client: 'acme\n    environment: prod\n", "3:13",
        "the ' opened here is never closed", "connect:tenant.client", "close it on the same line ('...')"),
    "unclosed-brace": (
        "config:\n  aws:region: us-east-1\n  connect:tenant: {client: acme\n  connect:network: x\n", "3:19",
        "the '{' opened here is never closed (or one of its entries lacks its ',')", "connect:tenant",
        "close it with '}' on the same line, or write the entries as an indented block"),
    "unclosed-bracket-at-the-end": (
        "config:\n  connect:network:\n    availabilityZones: [us-east-1a, us-east-1b\n", "3:24",
        "the '[' opened here is never closed", "connect:network.availabilityZones", "close it with ']'"),
    "missing-comma-in-a-flow-mapping": (
        "config:\n  connect:tenant: {client: acme environment: prod}\n", "2:44",
        "':' where a ',' between entries or the closing '}' is expected", "connect:tenant",
        "separate the entries with ', ' (a flow mapping: {a: 1, b: 2})"),
    "extra-closing-brace": (
        "config:\n  connect:tenant: {client: acme}}\n", "2:33", "a '}' that closes nothing", "connect:tenant",
        "remove it"),
    "tab-indentation": (
        "config:\n\taws:region: us-east-1\n", "2:1", "a tab character: YAML indents with spaces only", "",
        "replace the tab with spaces"),
    "tab-inside": (
        TENANT + "  \tclient: acme\n", "3:3", "a tab character", "config", "replace the tab with spaces"),
    "mapping-values-in-a-value": (
        TENANT + "    client: acme: corp\n", "3:17", "a second ': ' on the line: `client: acme: corp`",
        "connect:tenant.client", 'quote a value that holds \': \' ("a: b")'),
    "nested-key-on-its-parent-s-line": (
        "config:\n  connect:tenant: client: acme\n", "2:25", "a second ': ' on the line", "connect:tenant",
        "put the nested key on a line of its own"),
    "key-without-a-colon-before-another-key": (
        TENANT + "    client acme\n    environment: prod\n", "3:5",
        "`client acme` has no ':' after its key, so YAML reads it and line 4 as one text", "connect:tenant",
        "write `key: value`"),
    "key-without-a-colon-at-the-end": (
        TENANT + "    client: acme\n    environment\n", "4:5",
        "`environment` is read as a key, but no ':' follows it", "connect:tenant", "write `key: value`"),
    "text-after-a-closing-quote": (
        TENANT + '    client: "acme" corp\n', "3:20", 'text after the closing quote: `client: "acme" corp`',
        "connect:tenant.client", "put the whole value inside the quotes"),
    "reserved-character": (
        TENANT + "    client: @acme\n", "3:13", "'@' cannot start a plain value (YAML reserves it)",
        "connect:tenant.client", "quote the value ('@...' or \"@...\")"),
    "unknown-escape": (
        TENANT + '    client: "a\\qb"\n', "3:16", "\\q is not an escape of a double-quoted value",
        "connect:tenant.client", "use single quotes"),
    "undefined-alias": (
        "config:\n  connect:tenant: *nope\n", "2:19", "*nope refers to no anchor", "connect:tenant",
        "define &nope on the value to reuse"),
    "unknown-tag": (
        "config:\n  connect:tenant: !foo bar\n", "2:19", "unknown tag !foo", "connect:tenant",
        "values are plain strings, numbers, booleans, lists and mappings"),
    "two-documents": (
        "config: {}\n---\nconfig: {}\n", "2:1", "a second YAML document starts here ('---')", "",
        "remove the '---' line"),
    "text-after-a-block-indicator": (
        "config:\n  connect:tenant: | junk\n    x\n", "2:21", "text after '|' or '>' on the line of a block value",
        "connect:tenant", "start the value on the next line, indented"),
    "anchor-without-a-name": (
        "config:\n  connect:tenant: &\n", "2:20", "an anchor (&) or alias (*) without a name", "connect:tenant",
        "name it with letters"),
    "merge-of-a-scalar": (
        TENANT + "    <<: 3\n", "3:9", "'<<' merges mappings only", "connect:tenant.<<", "write `<<: *anchor`"),
    "directive": (
        "%YAML 1.1\n%YAML 1.1\nconfig: {}\n", "2:1", "a '%' directive line, which a stack file does not need", "",
        "remove it"),
    "list-item-at-no-list": (
        "config:\n  aws:region: us-east-1\n  connect:tenant: {}\n   - x\n", "4:4",
        "a list item ('- ') indented 3 spaces, where no key above it opens a list", "config",
        "put the list under its key"),
    "tag-that-does-not-fit": (
        "config:\n  connect:network:\n    availabilityZones: !!seq {a: 1}\n", "3:24",
        "a tag that does not fit its value: it wants a sequence, the value is a mapping",
        "connect:network.availabilityZones", "remove the tag"),
    "value-containing-itself": (
        "config:\n  connect:dr: &a\n    backup: *a\n", "2:15",
        "a value that contains itself (an alias inside its own anchor)", "connect:dr",
        "write the value out instead of the alias"),
    "duplicated-key": (
        TENANT + "    client: acme\n    client: acme\n", "4:5", "duplicated key 'client' (first on line 3)",
        "connect:tenant.client", "keep one of them"),
}


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project()


def error_of(project: Project, path: Path) -> str:
    with pytest.raises(ProjectError) as caught:
        load_stack(project, path=path)
    return str(caught.value)


@pytest.mark.parametrize("name", list(CASES))
def test_each_yaml_error_is_in_our_words_at_the_line_to_fix(name: str, project: Project, tmp_path: Path) -> None:
    text, at, what, field, hint = CASES[name]
    path = tmp_path / "Pulumi.test-dev.yaml"
    path.write_text(text)
    message = error_of(project, path)
    assert message.startswith(f"{path}:{at}: YAML error: {what}"), message
    assert (f"(in {field})" in message) if field else "(in " not in message, message
    assert hint in message.split("; ", 1)[-1], message
    assert "expected <block end>" not in message and "while scanning" not in message and "while parsing" not in message


def test_the_cli_refuses_them_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    for name in ("unclosed-double-quote", "indented-less-than-its-siblings", "tab-indentation"):
        path = tmp_path / f"Pulumi.{name}.yaml"
        path.write_text(CASES[name][0])
        result = subprocess.run([sys.executable, "-m", "connectctl", "plan", "--config-file", str(path)], cwd=ROOT,
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert f"{path}:{CASES[name][1]}: YAML error: " in result.stderr.replace("\n", "")


def test_an_unrecognised_error_keeps_pyyaml_s_words_with_the_hint() -> None:
    import yaml

    from connectctl.engine.yaml_errors import explain

    mark = yaml.Mark("f", 0, 1, 4, "", 0)
    found = explain(yaml.MarkedYAMLError("while doing something", mark, "found something odd", mark), "a: b\nc: d\n")
    assert (found.line, found.column) == (2, 5)
    assert found.message == ("not valid YAML here: found something odd (while doing something) (in c); check the "
                             "quoting and indentation of this line and the one above it")


def test_the_field_path_follows_indentation_and_list_items() -> None:
    lines = ["config:", "  connect:services:", "    - name: a", "      cpu: 256", "    - name: b",
             "      image:", "        tag: x", "  connect:tenant:", "    client: acme"]
    assert field_path(lines, 3) == "connect:services[0].cpu"
    assert field_path(lines, 6) == "connect:services[1].image.tag"
    assert field_path(lines, 8) == "connect:tenant.client"
    assert field_path(lines, 0) == "config"
    assert field_path(["k" * 100 + ":", "  x: 1"], 1) == "k" * 40 + "....x"


def problems(project: Project, tmp_path: Path, old: str, new: str) -> str:
    text = (ROOT / "stacks" / "Pulumi.acme-staging.yaml").read_text()
    assert old in text
    path = tmp_path / "Pulumi.acme-staging.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigReport) as caught:
        validate(load_stack(project, path=path))
    return str(caught.value)


@pytest.mark.parametrize(("old", "new", "path", "hint"), [
    ("  connect:tenant:\n", "  connect:drRegion: us-west-2\n  connect:tenant:\n", "connect:drRegion",
     "did you mean 'connect:tenant.drRegion'? (drRegion belongs under connect:tenant)"),
    ("  connect:tenant:\n", "  connect:certificateArn: x\n  connect:tenant:\n", "connect:certificateArn",
     "did you mean 'connect:platform.certificateArn' or 'connect:dr.certificateArn'? (certificateArn belongs under "
     "connect:platform or under connect:dr)"),
    ("  connect:tenant:\n", "  connect:region: us-east-1\n  connect:tenant:\n", "connect:region",
     "did you mean 'aws:region'? (region belongs at the top level)"),
    ("    costCenter: acme-platform\n", "    costCenter: acme-platform\n    natGateways: single\n",
     "connect:tenant.natGateways", "did you mean 'connect:network.natGateways'? (natGateways belongs under "
     "connect:network)"),
    ("      retentionDays: 365\n", "      retentionDays: 365\n      natGateways: single\n",
     "connect:network.flowLogs.natGateways", "did you mean 'connect:network.natGateways'?"),
    ("      cpu: 256\n", "      cpu: 256\n      base: 2\n", "connect:services[0].base",
     "did you mean 'connect:services[0].capacity.base'? (base belongs under connect:services[0].capacity)"),
    ("      cpu: 256\n", "      cpu: 256\n      repository: x\n", "connect:services[0].repository",
     "did you mean 'connect:services[0].image.repository'?"),
])
def test_a_misplaced_key_is_sent_to_its_parent(project: Project, tmp_path: Path, old: str, new: str, path: str,
                                               hint: str) -> None:
    """A key valid under another parent: the did-you-mean names that parent (it used to name the closest key of
    the wrong mapping: `connect:drRegion` -> 'connect:dr', `connect:certificateArn` -> 'connect:services')."""
    report = problems(project, tmp_path, old, new)
    line = next(row for row in report.splitlines() if f": {path}: " in row)
    assert f"unknown key; {hint}" in line, line
    assert line.strip().startswith(f"{tmp_path}/Pulumi.acme-staging.yaml:"), line


def test_a_typo_of_a_sibling_is_still_a_typo(project: Project, tmp_path: Path) -> None:
    """`enviroment` is one letter off `environment` of the same mapping; `path` off `paths` (not healthCheck.path)."""
    report = problems(project, tmp_path, "    environment: staging\n", "    enviroment: staging\n")
    assert "connect:tenant.enviroment: unknown key; did you mean 'environment'? allowed keys:" in report
    report = problems(project, tmp_path, 'routes: {paths: ["/payments/*"]}', 'routes: {path: ["/payments/*"]}')
    assert "connect:services[0].routes.path: unknown key; did you mean 'paths'? allowed keys: paths, hosts" in report
