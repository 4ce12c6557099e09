"""What the Pulumi CLI does before a program runs, emulated: project file, stack file, config checks.

It reads `Pulumi.yaml`, finds the stack file through `stackConfigDir`, applies the typed-config
checks of the project's `config:` block (missing required key, plaintext value for a secret key,
type mismatch), replaces `secure:` values with labelled stand-ins (they cannot be decrypted
without the CLI), and hands the program its config the way the CLI does: strings, with objects
and arrays JSON-encoded.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from connectctl.engine.yaml_errors import explain

PROJECT_ROOT = Path(__file__).resolve().parents[2]
def stand_in(key: str) -> str:
    """The labelled stand-in for a `secure:` value offline: names its key, and is itself a valid
    VPN pre-shared key (letters, digits, '_'; 8-64 characters) so validation behaves as with the
    real value."""
    return ("offline_secret_" + re.sub(r"[^A-Za-z0-9]", "_", key))[:64]


class ProjectError(Exception):
    """A problem the CLI would report before running the program; the message is user-facing."""


@dataclass
class Project:
    """The parts of `Pulumi.yaml` the engine needs."""

    root: Path
    name: str
    runtime: str
    main: Path
    stack_config_dir: Path
    declared: dict[str, dict[str, Any]]
    project_values: dict[str, Any]

    def stack_file(self, stack: str) -> Path:
        """Where `pulumi` looks for the stack's config."""
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Every stack with a file in the stack config directory."""
        return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))

    def full_key(self, key: str) -> str:
        """`tenant` -> `connect:tenant`; keys of other namespaces stay as they are."""
        return key if ":" in key else f"{self.name}:{key}"


@dataclass
class StackFile:
    """A parsed stack file: raw config by full key, the secret keys, and YAML line numbers."""

    project: Project
    stack: str
    path: Path
    config: dict[str, Any]
    secret_keys: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def display_path(self) -> str:
        """The path users see in messages: relative to the project when inside it."""
        try:
            return str(self.path.resolve().relative_to(self.project.root))
        except ValueError:
            return str(self.path)

    def program_config(self) -> dict[str, str]:
        """Config as the CLI hands it to the program: every value a string, objects as JSON."""
        defaults = {k: spec["default"] for k, spec in self.project.declared.items() if "default" in spec}
        merged = {**self.project.project_values, **defaults, **self.config}
        return {key: _as_config_string(value) for key, value in merged.items()}

    def line_of(self, path: str) -> int | None:
        """Line of a field path (`connect:network.cidr`) in the stack file, or of its nearest parent."""
        probe = path
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return None


def _shown(value: Any, limit: int = 80) -> str:
    """A value for a message, cut short so one huge key or value cannot flood it."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's int-to-text limit
        return "a number of over 4300 digits"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicated keys instead of silently keeping the last one."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Values a tag cannot hold (`!!int x`, `!!bool maybe`, a 5000-digit number) are YAML errors at
        their line; PyYAML's constructors let them escape as ValueError or KeyError."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            shown = _shown(node.value) if isinstance(node, yaml.ScalarNode) else \
                "a sequence" if isinstance(node, yaml.SequenceNode) else "a mapping"
            reason = "more than 4300 digits" if "4300" in str(exc) else "not a valid value of that type"
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown} cannot be read as {tag}: {reason}", node.start_mark
            ) from None


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor`, merged (and overridable) by construct_mapping, as the CLI does
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicated key {_shown(key)} (first on line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _timestamp_as_string(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> str:
    """The CLI's YAML decoder keeps timestamp-like scalars (`2024-01-01`) as strings, not dates."""
    return str(loader.construct_scalar(node))


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_string)


class WrittenInt(int):
    """An integer YAML wrote with a leading zero (`011111111111`: octal to YAML 1.1), with the digits as written.

    Why: an account id left unquoted is read as a number and loses its digits; the advice must quote what the
    person wrote, not what the parser made of it (`"011111111111"`, never `"001227133513"`).
    """

    written: str

    def __new__(cls, value: int, written: str = "") -> WrittenInt:
        made = super().__new__(cls, value)
        made.written = written
        return made


def _int_as_written(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> int:
    value = loader.construct_yaml_int(node)
    text = str(node.value)
    return WrittenInt(value, text) if text.lstrip("+-").startswith("0") and len(text.lstrip("+-")) > 1 else value


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _int_as_written)


# Values that YAML aliases may add to a document once expanded. Everything downstream (secret
# stand-ins, JSON for the program, the line map) walks the expanded values, so a few lines of
# nested aliases ("billion laughs") would otherwise run for minutes or exhaust memory. A real
# stack file reuses an anchor for a few dozen values; the Pulumi CLI's YAML decoder has the same
# kind of guard ("excessive aliasing").
MAX_ALIAS_EXPANSION = 10_000
MERGE_TAG = "tag:yaml.org,2002:merge"


class _ExcessiveAliasing(Exception):
    def __init__(self, mark: yaml.Mark | None) -> None:
        super().__init__()
        self.mark = mark


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _guard_aliases(root: yaml.Node) -> bool:
    """Refuse documents that aliases blow up; True when the document uses merge keys (`<<`).

    Counts each distinct node once (what the file spells out) and the document as expanded
    (aliases repeated), memoized per node so the count itself stays linear in the file.
    """
    distinct: set[int] = set()
    merges = False
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in distinct:
            continue
        distinct.add(id(node))
        if isinstance(node, yaml.MappingNode):
            merges = merges or any(key.tag == MERGE_TAG for key, _ in node.value)
        stack.extend(_children(node))
    bound = len(distinct) + MAX_ALIAS_EXPANSION
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def expanded(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:  # an alias inside its own anchor: load_stack reports it
            return 0
        active.add(key)
        total = 1
        for child in _children(node):
            total += expanded(child)
            if total > bound:
                raise _ExcessiveAliasing(node.start_mark)
        active.discard(key)
        sizes[key] = total
        return total

    expanded(root)
    return merges


def _line_column(text: str | bytes, index: int) -> str:
    """`line:column` (1-based) of a character or byte offset, as YAML marks are shown."""
    before = text[:index] if isinstance(text, str) else text[:index].decode("utf-8", "replace")
    return f"{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


# The largest stack file a person writes is a few KiB (the committed ones: 2-5 KiB); 1 MiB is generous. A bigger
# file is refused before it is read: a 50 MB file took a minute to plan and a junk key of 900,000 entries
# 2.5 GB of memory before its error.
MAX_YAML_BYTES = 1024 * 1024


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file once; syntax errors become `ProjectError` with file, line and column.

    Returns the data and the composed node graph (for line numbers), as it stood before merge keys
    were applied. A file over `MAX_YAML_BYTES` is refused unread.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if size > MAX_YAML_BYTES:
        raise ProjectError(f"{path}: {size:,} bytes; allowed: a stack or project file of at most "
                           f"{MAX_YAML_BYTES // 1024 // 1024} MiB (a stack file is a few KiB: is this the right file?)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{path}:{_line_column(raw, exc.start)}: cannot be read: not UTF-8 text (byte "
                           f"0x{raw[exc.start]:02x}); save the file as UTF-8") from None
    loader: _UniqueKeyLoader | None = None
    try:
        loader = _UniqueKeyLoader(text)  # checks every character first: may raise ReaderError
        node = loader.get_single_node()
        data = None
        if node is not None:
            merges = _guard_aliases(node)
            # Applying merge keys rewrites the mapping nodes; the line map needs them as written.
            data = loader.construct_document(copy.deepcopy(node) if merges else node)
    except _ExcessiveAliasing as exc:
        where = f":{exc.mark.line + 1}:{exc.mark.column + 1}" if exc.mark else ""
        raise ProjectError(f"{path}{where}: YAML error: aliases expand the document by more than "
                           f"{MAX_ALIAS_EXPANSION} values (an alias bomb?); write the values out, or reuse "
                           "anchors less") from None
    except yaml.reader.ReaderError as exc:  # a control character (NUL, BEL...) YAML does not allow
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        raise ProjectError(f"{path}:{_line_column(text, exc.position)}: YAML error: character #x{code:04x} is "
                           f"not allowed in YAML ({exc.reason}); write it as an escape in double quotes, "
                           "or remove it") from None
    except yaml.MarkedYAMLError as exc:  # in our words, at the line to fix (yaml_errors.py)
        found = explain(exc, text)
        raise ProjectError(f"{path}:{found.line}:{found.column}: YAML error: {found.message}") from None
    except yaml.YAMLError as exc:
        raise ProjectError(f"{path}: YAML error: {exc}") from None
    except RecursionError:
        where = f":{mark.line + 1}:{mark.column + 1}" if loader is not None and (mark := loader.get_mark()) else ""
        raise ProjectError(f"{path}{where}: YAML error: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def load_project(root: Path = PROJECT_ROOT) -> Project:
    """Read `Pulumi.yaml` (only what the engine needs; the schema test checks the rest)."""
    path = root / "Pulumi.yaml"
    data, _ = read_yaml(path)
    if not isinstance(data, dict) or "name" not in data:
        raise ProjectError(f"{path}: not a Pulumi project file (no 'name')")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    declared: dict[str, dict[str, Any]] = {}
    values: dict[str, Any] = {}
    for key, spec in (data.get("config") or {}).items():
        full = key if ":" in key else f"{data['name']}:{key}"
        if isinstance(spec, dict) and "value" in spec:
            values[full] = spec["value"]
        elif isinstance(spec, dict):
            declared[full] = spec
    return Project(
        root=root,
        name=str(data["name"]),
        runtime=str(runtime_name),
        main=root / str(data.get("main") or "__main__.py"),
        stack_config_dir=root / str(data.get("stackConfigDir") or "."),
        declared=declared,
        project_values=values,
    )


def load_project_dir(project_dir: Path | None) -> Project:
    """The project of a `--project-dir` option, or this checkout's when it is not given.

    Why a function of its own: every command that reads stacks takes the option, and a directory without a
    `Pulumi.yaml` must be the same one message naming the option everywhere, not "Pulumi.yaml: no such file".
    """
    if project_dir is None:
        return load_project(PROJECT_ROOT)
    root = project_dir.resolve()
    if not root.is_dir():
        raise ProjectError(f"--project-dir {project_dir}: not a directory; allowed: a Pulumi project directory "
                           "(the one holding Pulumi.yaml)")
    if not (root / "Pulumi.yaml").is_file():
        raise ProjectError(f"--project-dir {project_dir}: no Pulumi.yaml there; allowed: a Pulumi project directory "
                           "(the one holding Pulumi.yaml)")
    return load_project(root)


def _line_map(node: yaml.Node | None, project: Project) -> dict[str, int]:
    """Field path -> 1-based line, for every key and list item under `config:`."""
    lines: dict[str, int] = {}
    inside: set[int] = set()  # the nodes being walked: an alias inside its own anchor is not followed

    def walk(n: yaml.Node, path: str) -> None:
        if id(n) in inside:
            return
        inside.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                sub = f"{path}.{key_node.value}" if path else project.full_key(str(key_node.value))
                lines[sub] = key_node.start_mark.line + 1
                walk(value_node, sub)
        elif isinstance(n, yaml.SequenceNode):
            for index, item in enumerate(n.value):
                sub = f"{path}[{index}]"
                lines[sub] = item.start_mark.line + 1
                walk(item, sub)
        inside.discard(id(n))

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == "config":
                walk(value_node, "")
    return lines


def _stand_in_secrets(key: str, value: Any, secret_keys: set[str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            secret_keys.add(key)
            return stand_in(key)
        return {k: _stand_in_secrets(key, v, secret_keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_stand_in_secrets(key, v, secret_keys) for v in value]
    return value


TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def stack_file_argument(project: Project, argument: str, error: type[Exception] = ProjectError) -> Path:
    """A command's STACK argument: a stack name (`acme-prod`: the project's stack file) or the path of a stack
    file; `error` (the command's own) when there is no such file."""
    if "/" in argument or argument.endswith(".yaml") or Path(argument).is_file():
        path = Path(argument)
        if not path.is_file():
            raise error(f"{argument}: no such stack file")
        return path
    path = project.stack_file(argument)
    if not path.is_file():
        raise error(f"no stack file {path.relative_to(project.root)} for stack {argument!r}; stacks: "
                    f"{', '.join(project.stacks()) or 'none'}")
    return path


def load_stack(project: Project, stack: str | None = None, path: Path | None = None) -> StackFile:
    """Read a stack file by stack name or path and apply the CLI's typed-config checks."""
    if path is None:
        if stack is None:
            raise ProjectError("name a stack or a stack file")
        path = project.stack_file(stack)
        if not path.exists():
            known = ", ".join(project.stacks()) or "none"
            relative = path.relative_to(project.root)
            raise ProjectError(f"no stack file {relative} for stack {stack!r}; stacks: {known}")
    elif stack is None:
        name = path.name
        is_stack_file = name.startswith("Pulumi.") and name.endswith(".yaml")
        stack = name[len("Pulumi."):-len(".yaml")] if is_stack_file else path.stem
    data, node = read_yaml(path)
    shown = str(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProjectError(f"{shown}: a stack file is a mapping with a 'config:' key; got {type(data).__name__}")
    unknown_top = sorted(map(str, set(data) - {"config", "secretsprovider", "encryptedkey", "encryptionsalt",
                                               "environment"}))
    if unknown_top:
        listed = ", ".join(k if len(k) <= 80 else f"{k[:80]}..." for k in unknown_top[:10])
        listed += f" and {len(unknown_top) - 10} more" if len(unknown_top) > 10 else ""
        raise ProjectError(f"{shown}: unknown top-level key(s) {listed}; allowed: config, "
                           "secretsprovider, encryptedkey, encryptionsalt, environment")
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise ProjectError(f"{shown}: 'config' must be a mapping of keys to values")
    lines = _line_map(node, project)
    spelled: dict[str, Any] = {}
    for k in raw:
        full = project.full_key(str(k))
        if full in spelled:  # `tenant` and `connect:tenant`, or `1` and "1": one key to the CLI, set twice
            line = lines.get(full)
            raise ProjectError(f"{shown}{f':{line}' if line else ''}: {full[:80]}: set twice (as "
                               f"{_shown(spelled[full])} and {_shown(k)}); keep one")
        spelled[full] = k
    secret_keys: set[str] = set()
    config: dict[str, Any] = {}
    for k, v in raw.items():
        full = project.full_key(str(k))
        try:
            config[full] = _stand_in_secrets(full, v, secret_keys)
        except RecursionError:  # `&a [1, *a]`: an alias inside its own anchor (the CLI rejects it too)
            line = lines.get(full)
            raise ProjectError(f"{shown}{f':{line}' if line else ''}: {full[:80]}: a config value contains itself "
                               "(YAML alias inside its own anchor)") from None
    for key, value in config.items():
        try:
            _as_config_string(value)
        except (TypeError, ValueError) as exc:  # e.g. `!!binary` values: the program could not receive them
            reason = "a number of more than 4300 digits" if "4300" in str(exc) else str(exc)
            raise ProjectError(f"{shown}: {key}: value cannot be passed to the program: {reason}; allowed: "
                               "strings, numbers, booleans, lists and mappings") from None
    stack_file = StackFile(project, stack, path, config, sorted(secret_keys), lines)
    _typed_config_checks(stack_file)
    return stack_file


def _typed_config_checks(stack_file: StackFile) -> None:
    """The checks `pulumi` makes against the project's typed `config:` block before running."""
    shown = stack_file.display_path
    problems: list[str] = []
    for key, spec in stack_file.project.declared.items():
        value = stack_file.config.get(key, spec.get("default"))
        line = stack_file.line_of(key)
        where = f"{shown}:{line}" if line else shown
        if value is None:
            problems.append(f"{shown}: {key}: required key is missing ({spec.get('description', '')})")
            continue
        expected = spec.get("type")
        if expected in TYPE_CHECKS and key not in stack_file.secret_keys and not TYPE_CHECKS[expected](value):
            problems.append(f"{where}: {key}: must be of type '{expected}'; got {type(value).__name__}")
        if spec.get("secret") and key not in stack_file.secret_keys:
            problems.append(f"{where}: {key}: is a secret; set it with `pulumi config set --secret {key}`")
    if problems:
        raise ProjectError("\n".join(problems))


def _as_config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)
