"""The AWS provider's input schema, derived from the installed pulumi_aws SDK and cached per version.

Why derive it: `pulumi preview` validates every resource's inputs in the provider's Check against
the provider schema, which is not downloadable here; the Python SDK is generated from that schema,
so it holds the same facts. We read the SDK's source with `ast` (importing all of pulumi_aws would
cost seconds and hundreds of MB) and only the classes a type needs:

- the resource (`pulumi_aws/<mod>/<file>.py`, located through the SDK's own `resource_modules`
  registration in `pulumi_aws/__init__.py`) and its input class (`<Class>Args`, or `<Class>InitArgs`
  as its `get_resource_args_opts` call names it when a nested type took that name): one property per
  `@pulumi.getter` (the getter's `name=` is the wire name, else the function name, as
  `pulumi._types.getter` does), required when the `__init__` keyword has no default;
- annotations: `pulumi.Input[...]`, `Optional`, `Sequence` (array), `Mapping[str, ...]` (map),
  `str`/`int`/`float`/`bool`, `Any`, assets/archives, quoted names resolved to a nested input type
  (`<mod>/_inputs.py`, recursively, `_iam.` style prefixes for other modules) or an Enum class
  (`<mod>/_enums.py`); a `Union[str, X]` is a string that also accepts X, the schema's `oneOf`;
- enumerations: an Enum class alone is closed; an Enum in `Union[str, Enum]` is open (the schema
  says "any string, these are known", e.g. `InstanceType`; `ProtocolType` on
  `aws:ec2/securityGroupRule` would refuse the `-1` and protocol numbers AWS takes), so its values
  are only suggestions; a docstring is closed when it starts a sentence with "Valid values are" /
  "Allowed values:" / "Possible values are" followed by nothing but backquoted literals (`a | b` or
  `a`, `b` and `c`) up to the sentence's end, only one such list exists, no literal is a pattern
  (`2XX`, `<name>`, JSON) and no sentence says other values are "also valid";
- deprecations: `@_utilities.deprecated("...")` getters and the resource's
  `pulumi.log.warn("<Class> is deprecated: ...")`.

Cache: one JSON file per pulumi_aws version (and per derivation format), in `$CONNECT_SCHEMA_CACHE`,
else `$XDG_CACHE_HOME/connect`, else `~/.cache/connect`. One file, not one per type: a plan needs
~70 types sharing nested types (policy documents, tags), and one read plus one `json.loads` (a few
ms) beats 70 opens; a type not yet in it is derived lazily (only its own file, its module's
`_inputs.py` classes it reaches) and the file rewritten atomically, merged with what another
process may have written meanwhile. The version comes from the package metadata, so upgrading
pulumi_aws starts a new file instead of reading a stale schema. Measured: deriving the ~85 types
the committed stacks use takes ~0.5 s (the file is ~160 kB); a warm lookup of all of them ~10 ms.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Kind = Literal["string", "number", "integer", "boolean", "array", "map", "object", "any", "asset"]
Literal_ = str | int | float

#: Bump when the derivation or the JSON layout changes: old cache files are then ignored.
FORMAT = 2
CACHE_ENV = "CONNECT_SCHEMA_CACHE"
PACKAGE = "pulumi_aws"


@dataclass(eq=False)
class ObjectSchema:
    """A nested input type (`VpnConnectionTunnel1LogOptionsArgs`): its properties by wire name.

    Mutable only while the graph is built: recursive types point back at themselves.
    """

    name: str
    properties: dict[str, PropertySchema] = field(default_factory=dict)

    @property
    def required(self) -> list[str]:
        """Wire names that must be present (not null)."""
        return [n for n, p in self.properties.items() if p.required]


@dataclass(frozen=True, eq=False)
class PropertySchema:
    """One input property, or the element of an array or map (then `name` is "").

    `enum` is enforced (closed list); `known_values` are an open enum's suggestions. `accepts`
    holds the extra kinds a `Union` allows: "object" for a policy document given as an object
    (the provider serialises it), "array" for `Union[str, Sequence[str]]`.
    """

    name: str
    python_name: str
    kind: Kind
    required: bool = False
    items: PropertySchema | None = None
    object_type: ObjectSchema | None = None
    enum: tuple[Literal_, ...] = ()
    known_values: tuple[Literal_, ...] = ()
    deprecation: str = ""
    accepts: frozenset[str] = frozenset()

    @property
    def properties(self) -> Mapping[str, PropertySchema]:
        """The nested object's properties (empty unless `kind == "object"`)."""
        return self.object_type.properties if self.object_type else {}

    def is_single_object(self) -> bool:
        """True for a nested object: a Terraform block the bridge flattened (MaxItems=1) to one object.

        In Terraform's plan JSON an SDKv2 block of this kind is a one-element list; a map
        (`is_map`) is a JSON object keyed by the user's keys.
        """
        return self.kind == "object"

    def is_map(self) -> bool:
        """True for `Mapping[str, ...]` (tags, environment variables): user-chosen keys."""
        return self.kind == "map"

    def describe(self) -> str:
        """The expected type in words: `list of integer`, `map of string`, `object ec2.XArgs`."""
        if self.kind == "array" and self.items is not None:
            text = f"list of {self.items.describe()}"
        elif self.kind == "map" and self.items is not None:
            text = f"map of {self.items.describe()}"
        elif self.kind == "object" and self.object_type is not None:
            text = f"object {self.object_type.name}"
        else:
            text = self.kind
        if self.enum:
            text += f" (one of {', '.join(_literal_text(v) for v in self.enum)})"
        extra = sorted(self.accepts)
        return " or ".join([text, *extra]) if extra else text


def _literal_text(value: Literal_) -> str:
    """`2.0` -> `2`: enumerated numbers read as the docs write them."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


@dataclass(frozen=True, eq=False)
class ResourceSchema:
    """A resource type's inputs as the provider's Check knows them."""

    token: str
    class_name: str
    module: str
    properties: dict[str, PropertySchema]
    deprecation: str = ""

    @property
    def required(self) -> list[str]:
        """Wire names of the required inputs."""
        return [n for n, p in self.properties.items() if p.required]


# --------------------------------------------------------------------------------------------
# Where the cache lives and what keys it.


def installed_version() -> str:
    """The installed pulumi_aws version (package metadata: no import of the SDK)."""
    return importlib.metadata.version(PACKAGE)


def sdk_root() -> Path:
    """The installed pulumi_aws package directory."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pulumi_aws is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def cache_dir() -> Path:
    """`$CONNECT_SCHEMA_CACHE`, else `$XDG_CACHE_HOME/connect`, else `~/.cache/connect`."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "connect"


class SchemaCache:
    """The derived schema of one pulumi_aws version, backed by one JSON file.

    `derived` lists the resource types this instance had to derive (a warm run leaves it empty).
    """

    def __init__(self, directory: Path | None = None, version: str | None = None,
                 root: Path | None = None) -> None:
        self.directory = directory if directory is not None else cache_dir()
        self.version = version or installed_version()
        self.root = root or sdk_root()
        self.path = self.directory / f"pulumi-aws-{self.version}.schema-v{FORMAT}.json"
        self.derived: list[str] = []
        self._doc: dict[str, Any] | None = None
        self._objects: dict[str, ObjectSchema] = {}
        self._resources: dict[str, ResourceSchema | None] = {}

    def resource(self, token: str) -> ResourceSchema | None:
        """The schema of `token`, or None when pulumi_aws has no such resource (providers, components)."""
        return self.resources([token])[token]

    def resources(self, tokens: Iterable[str]) -> dict[str, ResourceSchema | None]:
        """Schemas of many types; missing ones are derived together and the file written once."""
        wanted = list(dict.fromkeys(tokens))
        doc = self._load()
        missing = [t for t in wanted if t not in doc["resources"]]
        if missing:
            deriver = _Deriver(self.root, doc["types"])
            for token in missing:
                doc["resources"][token] = deriver.resource(token) if token.startswith("aws:") else None
            self.derived.extend(missing)
            self._save(doc)
        return {t: self._build(t) for t in wanted}

    # -- file

    def _load(self) -> dict[str, Any]:
        if self._doc is None:
            self._doc = self._read() or {"format": FORMAT, "version": self.version, "resources": {}, "types": {}}
        return self._doc

    def _read(self) -> dict[str, Any] | None:
        try:
            doc = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != self.version:
            return None
        return doc

    def _save(self, doc: dict[str, Any]) -> None:
        """Merge into what is on disk (another process may have added types) and replace atomically."""
        on_disk = self._read()
        if on_disk is not None:
            for token, spec in on_disk["resources"].items():
                doc["resources"].setdefault(token, spec)
            for name, spec in on_disk["types"].items():
                doc["types"].setdefault(name, spec)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".schema-", suffix=".json")
        except OSError:
            return  # a read-only cache only costs the next run a derivation
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(doc, out, separators=(",", ":"), sort_keys=True)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    # -- JSON -> dataclasses

    def _build(self, token: str) -> ResourceSchema | None:
        if token not in self._resources:
            spec = self._load()["resources"].get(token)
            self._resources[token] = None if spec is None else ResourceSchema(
                token=token,
                class_name=spec["class"],
                module=spec["module"],
                properties={n: self._property(n, p) for n, p in spec["properties"].items()},
                deprecation=spec.get("dep", ""),
            )
        return self._resources[token]

    def _object(self, name: str) -> ObjectSchema:
        if name not in self._objects:
            obj = self._objects[name] = ObjectSchema(name)  # registered first: recursive types
            spec = self._load()["types"][name]
            obj.properties.update({n: self._property(n, p) for n, p in spec["properties"].items()})
        return self._objects[name]

    def _property(self, name: str, spec: dict[str, Any]) -> PropertySchema:
        ref = spec.get("ref")
        known_ref = ref is not None and ref in self._load()["types"]
        return PropertySchema(
            name=name,
            python_name=spec.get("py", ""),
            kind="any" if ref is not None and not known_ref else spec["kind"],  # never judge by a lost type
            required=spec.get("req", False),
            items=self._property("", spec["items"]) if "items" in spec else None,
            object_type=self._object(ref) if ref is not None and known_ref else None,
            enum=tuple(spec.get("enum", ())),
            known_values=tuple(spec.get("known", ())),
            deprecation=spec.get("dep", ""),
            accepts=frozenset(spec.get("accepts", ())),
        )


_default: SchemaCache | None = None


def default_cache() -> SchemaCache:
    """The process-wide cache for the installed version (re-made if `CONNECT_SCHEMA_CACHE` changes)."""
    global _default
    if _default is None or _default.directory != cache_dir():
        _default = SchemaCache()
    return _default


def resource_schema(type_token: str) -> ResourceSchema | None:
    """The provider schema of `type_token` (`aws:ec2/vpc:Vpc`); None when not a pulumi_aws resource."""
    return default_cache().resource(type_token)


def resource_schemas(type_tokens: Iterable[str]) -> dict[str, ResourceSchema | None]:
    """`resource_schema` for many types at once (one cache write when some must be derived)."""
    return default_cache().resources(type_tokens)


# --------------------------------------------------------------------------------------------
# Derivation from the SDK's source.

_SCALARS: dict[str, Kind] = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
_LEAD = re.compile(r"(?:^|(?<=[.!?]\s)|(?<=\n))\s*(?:Valid|Allowed|Possible)\s+values(?:\s+(?:are|is))?\s*:?\s*",
                   re.IGNORECASE)
_ITEM = re.compile(r"`([^`\n]+)`")
_SEP = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,|\bor\b|\band\b|\|)\s*")
_END = re.compile(r"\s*(?:$|[.;]|,\s*(?:defaults?|the default)\b)", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"[<>{}*\[\]()]|\.\.\.|^\d[Xx]{2}$")  # templates, JSON, `2XX` (any 2xx code)
_ALSO = re.compile(r"\balso\b[^.]*\b(?:valid|supported|accepted|allowed|possible)\b", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def documented_values(doc: str) -> list[str]:
    """The closed list of literals a property docstring states ("Valid values are `a | b`"), else [].

    Conservative on purpose: the phrase must start a sentence (not "When x, valid values are"),
    be followed only by backquoted literals joined by `,`/`|`/`or`/`and`, and end the sentence
    (or go on with "defaults to"); two different such lists in one docstring give nothing.
    """
    if _ALSO.search(doc):
        return []  # "Protocols `email` and `http` are also valid": the list is not the whole story
    found: list[list[str]] = []
    for lead in _LEAD.finditer(doc):
        pos, literals = lead.end(), list[str]()
        while (item := _ITEM.match(doc, pos)) is not None:
            literals.extend(_unquote(part.strip()) for part in item.group(1).split("|"))
            pos = item.end()
            sep = _SEP.match(doc, pos)
            if sep is None or not doc.startswith("`", sep.end()):
                break
            pos = sep.end()
        if literals and _END.match(doc, pos) and not any(_PLACEHOLDER.search(v) or not v for v in literals):
            found.append(literals)
    distinct = {tuple(f) for f in found}
    return list(found[0]) if len(distinct) == 1 else []


def _unquote(literal: str) -> str:
    """`"Active"` -> `Active`: some docs quote the literal inside the backquotes."""
    if len(literal) >= 2 and literal[0] == literal[-1] and literal[0] in "\"'":
        return literal[1:-1]
    return literal


def _snake(name: str) -> str:
    """`vpnConnection` -> `vpn_connection`, `bucketV2` -> `bucket_v2`: the SDK's file names."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", s).lower()


class _Deriver:
    """Reads the SDK source for one batch of derivations; texts and parsed classes are kept per batch."""

    def __init__(self, root: Path, types: dict[str, Any]) -> None:
        self.root = root
        self.types = types  # the cache's "types" section, filled in place
        self._texts: dict[Path, str] = {}
        self._modules: dict[Path, ast.Module] = {}
        self._registry: dict[str, tuple[str, str]] | None = None

    # -- files

    def _text(self, path: Path) -> str:
        if path not in self._texts:
            try:
                self._texts[path] = path.read_text(encoding="utf-8")
            except OSError:
                self._texts[path] = ""
        return self._texts[path]

    def _class(self, path: Path, name: str) -> ast.ClassDef | None:
        """One class of a file: parse only its text (fast), the whole file if that fails."""
        text = self._text(path)
        start = re.search(rf"^class {re.escape(name)}\b[(:]", text, re.MULTILINE)
        if start is None:
            return None
        end = re.compile(r"^\S", re.MULTILINE).search(text, start.end())
        try:
            tree = ast.parse(text[start.start():end.start() if end else len(text)])
        except SyntaxError:
            if path not in self._modules:
                self._modules[path] = ast.parse(text)
            tree = self._modules[path]
        return next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)

    def _module_dir(self, module: str) -> Path:
        return self.root if module in ("", "index") else self.root / module

    def _registry_map(self) -> dict[str, tuple[str, str]]:
        """Type token -> (module directory, class name), from the SDK's resource module registration."""
        if self._registry is None:
            text = self._text(self.root / "__init__.py")
            found = re.search(r'resource_modules="""(.*?)"""', text, re.DOTALL)
            entries = json.loads(found.group(1)) if found else []
            self._registry = {
                token: (entry["fqn"].removeprefix(PACKAGE).lstrip(".").replace(".", "/"), cls)
                for entry in entries for token, cls in entry.get("classes", {}).items()
            }
        return self._registry

    def _resource_file(self, token: str, module: str) -> Path | None:
        directory = self._module_dir(module)
        guess = directory / f"{_snake(token.split(':')[1].split('/')[-1])}.py"
        marker = f'type_token("{token}")'
        if marker in self._text(guess):
            return guess
        for path in sorted(directory.glob("*.py")):
            if not path.name.startswith(("_", "get_", "outputs")) and marker in self._text(path):
                return path
        return None

    # -- resources and types

    def resource(self, token: str) -> dict[str, Any] | None:
        """The JSON spec of a resource type, its nested types added to `types`; None if unknown."""
        located = self._registry_map().get(token)
        if located is None:
            return None
        module, class_name = located
        path = self._resource_file(token, module)
        if path is None:
            return None
        # `<Class>Args`, or `<Class>InitArgs` when a nested type already took that name
        named = re.search(r"get_resource_args_opts\((\w+), pulumi\.ResourceOptions", self._text(path))
        args = self._class(path, named.group(1) if named else f"{class_name}Args")
        if args is None:
            return None
        warned = re.search(rf'pulumi\.log\.warn\("""{re.escape(class_name)} is deprecated: (.*?)"""\)',
                           self._text(path), re.DOTALL)
        spec: dict[str, Any] = {"class": class_name, "module": module or "index",
                                "properties": self._properties(args, module)}
        if warned:
            spec["dep"] = warned.group(1)
        return spec

    def _type(self, module: str, name: str) -> str | None:
        """Derive input type `name` of `module` into `types`; its key, or None if not found."""
        key = f"{module or 'index'}.{name}"
        if key in self.types:
            return key
        node = self._class(self._module_dir(module) / "_inputs.py", name)
        if node is None:
            return None
        self.types[key] = {"properties": {}}  # placeholder first: recursive types
        self.types[key]["properties"] = self._properties(node, module)
        return key

    def _enum(self, module: str, name: str) -> list[Literal_] | None:
        node = self._class(self._module_dir(module) / "_enums.py", name)
        if node is None:
            return None
        return [stmt.value.value for stmt in node.body
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str | int | float)]

    def _properties(self, cls: ast.ClassDef, module: str) -> dict[str, Any]:
        """One spec per `@pulumi.getter` of an input class, required from `__init__`'s defaults."""
        required: set[str] = set()
        for stmt in cls.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
                kw = stmt.args
                required = {a.arg for a, d in zip(kw.kwonlyargs, kw.kw_defaults, strict=True) if d is None}
        props: dict[str, Any] = {}
        for stmt in cls.body:
            if not isinstance(stmt, ast.FunctionDef) or stmt.returns is None:
                continue
            wire, deprecation = _getter(stmt)
            if wire is None:
                continue
            spec = self._annotation(stmt.returns, module)
            _add_documented_enum(spec, ast.get_docstring(stmt) or "")
            spec["py"] = stmt.name
            if stmt.name in required:
                spec["req"] = True
            if deprecation:
                spec["dep"] = deprecation
            props[wire] = spec
        return props

    def _annotation(self, node: ast.expr, module: str) -> dict[str, Any]:
        """An annotation as a JSON type spec (`{"kind": "array", "items": {...}}`)."""
        if isinstance(node, ast.Subscript):
            head = _dotted(node.value)
            if head in ("pulumi.Input", "Optional", "typing.Optional"):
                return self._annotation(node.slice, module)
            if head == "Sequence":
                return {"kind": "array", "items": self._annotation(node.slice, module)}
            if head == "Mapping" and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2:
                return {"kind": "map", "items": self._annotation(node.slice.elts[1], module)}
            if head == "Union":
                elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                return self._union([self._annotation(e, module) for e in elts])
            return {"kind": "any"}
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self._reference(node.value, module)
        name = _dotted(node)
        if name.rsplit(".", 1)[-1] in _SCALARS and name in (*_SCALARS, *(f"_builtins.{s}" for s in _SCALARS)):
            return {"kind": _SCALARS[name.rsplit(".", 1)[-1]]}
        if name in ("pulumi.Asset", "pulumi.Archive", "pulumi.AssetOrArchive"):
            return {"kind": "asset"}
        return {"kind": "any"}

    def _union(self, members: list[dict[str, Any]]) -> dict[str, Any]:
        kinds = [m["kind"] for m in members]
        if all(k == "asset" for k in kinds):
            return {"kind": "asset"}
        if kinds and kinds[0] == "string" and "any" not in kinds:
            spec: dict[str, Any] = {"kind": "string"}
            known = [v for m in members[1:] if m["kind"] == "string" for v in m.get("enum", ())]
            if known:
                spec["known"] = known  # Union[str, Enum]: an open enumeration
            accepts = sorted({k for k in kinds[1:] if k != "string"})
            if accepts:
                spec["accepts"] = accepts
            return spec
        return {"kind": "any"}

    def _reference(self, text: str, module: str) -> dict[str, Any]:
        """A quoted annotation name: an Enum (closed string list) or a nested input type."""
        prefix, _, name = text.rpartition(".")
        if prefix == "outputs":
            return {"kind": "any"}
        prefix = prefix.lstrip("_")
        owner = "" if prefix.startswith("root") else (prefix or module)
        for candidate in dict.fromkeys([owner, ""]):
            values = self._enum(candidate, name)
            if values is not None:
                numeric = values and all(isinstance(v, int | float) for v in values)
                return {"kind": "number" if numeric else "string", "enum": values}
            key = self._type(candidate, name)
            if key is not None:
                return {"kind": "object", "ref": key}
        return {"kind": "any"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _getter(fn: ast.FunctionDef) -> tuple[str | None, str]:
    """(wire name, deprecation) of a `@pulumi.getter` function; wire name None for anything else."""
    wire: str | None = None
    deprecation = ""
    for deco in fn.decorator_list:
        if _dotted(deco) == "pulumi.getter":
            wire = fn.name
        elif isinstance(deco, ast.Call):
            head = _dotted(deco.func)
            if head == "pulumi.getter":
                named = [k.value for k in deco.keywords if k.arg == "name"]
                wire = str(named[0].value) if named and isinstance(named[0], ast.Constant) else fn.name
            elif head == "_utilities.deprecated" and deco.args and isinstance(deco.args[0], ast.Constant):
                deprecation = str(deco.args[0].value)
    return wire, deprecation


def _add_documented_enum(spec: dict[str, Any], doc: str) -> None:
    """Attach a docstring's closed value list to a scalar (or to an array's scalar items)."""
    target = spec["items"] if spec["kind"] == "array" else spec
    kind = target["kind"]
    if kind not in ("string", "integer", "number"):
        return
    literals = documented_values(doc)
    if not literals:
        return
    values: list[Literal_] = []
    if kind == "string":
        values = list(literals)
    elif all(_NUMBER.fullmatch(v) for v in literals):
        values = [float(v) if kind == "number" or not re.fullmatch(r"[+-]?\d+", v) else int(v) for v in literals]
    else:
        return  # a number property documented with words: not a list we can trust
    target["enum"] = list(dict.fromkeys([*target.get("enum", []), *values]))
