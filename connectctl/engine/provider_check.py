"""The AWS provider's Check, offline: what `pulumi preview` refuses in a resource's inputs.

Under mocks only the SDK's own required-argument checks run, so a misspelled property, `ikev3`
where `ikev1 | ikev2` is allowed, a list where an object is wanted or a deprecated input plan
fine and fail (or warn) at `pulumi up`. This checks every registered `aws:` resource against the
schema `provider_schema` derives from the installed SDK: unknown property names (with the nearest
known ones), missing required inputs, types (recursively: `ingress[0].fromPort`), enumerations,
deprecated inputs and deprecated resource types.

Types follow what the provider really accepts, not the strictest reading of the schema: the
bridge's type checker (pulumi-terraform-bridge `unstable/typechecker`) lets numbers and booleans
stand for strings and strings for numbers and booleans, because Terraform's SDK decodes them
weakly (`mapstructure.WeakDecode`). So a string is refused for a number only when it does not
parse as one (`"3"` is fine for an integer, `"three"` is not, Terraform would fail to decode it),
for a boolean only when Go's `strconv.ParseBool` would refuse it; a non-integral number is refused
for an integer. Enumerations compare case-insensitively (many Terraform validators ignore case,
the docs do not say which), and a comma-separated string of allowed values passes (header values
such as `GET,POST`). Unknown values (preview's sentinels), outputs without a value and resource
references are never judged; a secret is judged by the value it wraps. Resources read with
`.get()` are skipped: the provider's Check does not see their inputs.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

from connectctl.engine.capture import CapturedResource
from connectctl.engine.findings import EngineError
from connectctl.engine.provider_schema import PropertySchema, resource_schemas
from connectctl.engine.sdk import ASSET_SIGS, OUTPUT_SIG, RESOURCE_SIG, SECRET_SIG, UNKNOWN_SENTINELS
from connectctl.engine.sdk import SECRET_SIG_KEY as SIG_KEY

CHECK = "provider-check"
GO_BOOLS = frozenset({"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNSET = object()

Source = Callable[[object], str]


def check_resources(resources: list[CapturedResource], source: Source | None = None) -> list[EngineError]:
    """What the provider's Check would refuse in these resources' inputs, as `provider-check` errors.

    `source(value)` says where an offending value came from (a stack-file line); it is called
    only when there is a value (not for a missing input) and its answer becomes `EngineError.source`.
    Types not in pulumi_aws (providers, `connect:` components, the stack) are skipped.
    """

    checked = [r for r in resources if r.custom and not r.external and r.type.startswith("aws:")]
    schemas = resource_schemas(sorted({r.type for r in checked}))
    errors: list[EngineError] = []
    for res in checked:
        schema = schemas.get(res.type)
        if schema is None:
            continue
        checker = _Checker(res.urn, UNKNOWN_SENTINELS, source, errors)
        if schema.deprecation:
            checker.emit("", f"resource type {schema.token} is deprecated: {schema.deprecation}")
        checker.object(schema.properties, res.inputs, "", schema.token)
    return errors


class _Checker:
    """Walks one resource's inputs against its schema, appending errors."""

    def __init__(self, urn: str, unknown: frozenset[str], source: Source | None, out: list[EngineError]) -> None:
        self.urn = urn
        self.unknown = unknown
        self.source = source
        self.out = out

    def emit(self, path: str, message: str, value: object = _UNSET) -> None:
        where = self.source(value) if self.source is not None and value is not _UNSET else ""
        self.out.append(EngineError(CHECK, self.urn, path, message, where or ""))

    def is_unknown(self, value: object) -> bool:
        return isinstance(value, str) and any(s in value for s in self.unknown)

    def object(self, props: Mapping[str, PropertySchema], values: Mapping[str, Any], path: str, owner: str) -> None:
        """An object's keys: unknown names, deprecations, each value, then missing required ones."""
        for key in sorted(values):  # sorted: the same errors in the same order on every run
            value = values[key]
            if key.startswith("__") or value is None:
                continue  # engine-internal keys (`__defaults`); a null is allowed anywhere (as the bridge checks)
            at = _join(path, key)
            prop = props.get(key)
            if prop is None:
                self.emit(at, _unknown_message(key, list(props), owner), value)
                continue
            if prop.deprecation:
                self.emit(at, f'"{key}" is deprecated: {prop.deprecation}', value)
            self.value(prop, value, at)
        for name, prop in props.items():
            if prop.required and values.get(name) is None:
                self.emit(_join(path, name), f'missing required input "{name}" of {owner} (expected {prop.describe()})')

    def value(self, prop: PropertySchema, value: Any, path: str) -> None:
        """One value against its property schema (recursing into lists, maps and objects)."""
        known, value = _unwrap(value)
        if not known or value is None or prop.kind == "any" or self.is_unknown(value):
            return
        if isinstance(value, dict) and value.get(SIG_KEY) in ASSET_SIGS:
            if prop.kind != "asset":
                self.emit(path, f"expected {prop.describe()}, got an asset or archive", value)
            return
        kind = prop.kind
        if kind == "string":
            self.string(prop, value, path)
        elif kind in ("integer", "number"):
            self.number(prop, value, path)
        elif kind == "boolean":
            if not isinstance(value, bool) and not (isinstance(value, str) and value in GO_BOOLS):
                self.emit(path, f"expected boolean (true or false), got {_show(value)}", value)
        elif kind == "array":
            if not isinstance(value, list):
                self.emit(path, f"expected {prop.describe()}, got {_show(value)}", value)
            elif prop.items is not None:
                for i, item in enumerate(value):
                    self.value(prop.items, item, f"{path}[{i}]")
        elif kind == "map":
            if not isinstance(value, dict):
                self.emit(path, f"expected {prop.describe()}, got {_show(value)}", value)
            elif prop.items is not None:
                for key in sorted(value):
                    if not key.startswith("__"):
                        self.value(prop.items, value[key], _join(path, key))
        elif kind == "object":
            if not isinstance(value, dict):
                self.emit(path, f"expected {prop.describe()}, got {_show(value)}", value)
            elif prop.object_type is not None:
                self.object(prop.properties, value, path, prop.object_type.name)
        elif kind == "asset":
            self.emit(path, f"expected an asset or archive, got {_show(value)}", value)

    def string(self, prop: PropertySchema, value: Any, path: str) -> None:
        if isinstance(value, dict) and "object" in prop.accepts:
            return  # a policy document given as an object: the provider serialises it
        if isinstance(value, list) and "array" in prop.accepts:
            for i, item in enumerate(value):
                self.value(PropertySchema("", "", "string", enum=prop.enum), item, f"{path}[{i}]")
            return
        if isinstance(value, dict | list):
            self.emit(path, f"expected {prop.describe()}, got {_show(value)}", value)
            return
        if prop.enum and not _allowed(str(value).lower() if isinstance(value, bool) else value, prop.enum):
            self.emit(path, f"{_show(value)} is not an allowed value; allowed: {_values(prop.enum)}", value)

    def number(self, prop: PropertySchema, value: Any, path: str) -> None:
        wanted = prop.kind
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.emit(path, f"expected {wanted}, got {_show(value)}", value)
            return
        number = _parse_number(value, integer=wanted == "integer") if isinstance(value, str) else float(value)
        if number is None:
            article = "an" if wanted == "integer" else "a"
            self.emit(path, f"expected {wanted}, got {_show(value)}, which does not parse as {article} {wanted}", value)
            return
        if wanted == "integer" and not number.is_integer():
            self.emit(path, f"expected integer, got {_show(value)} (not a whole number)", value)
            return
        if prop.enum and not _allowed(number, prop.enum):
            self.emit(path, f"{_show(value)} is not an allowed value; allowed: {_values(prop.enum)}", value)


def _unwrap(value: Any) -> tuple[bool, Any]:
    """(known, value) through secrets and output values; resource references are never judged."""
    while isinstance(value, dict) and SIG_KEY in value:
        sig = value[SIG_KEY]
        if sig in (SECRET_SIG, OUTPUT_SIG):
            if "value" not in value:
                return False, None
            value = value["value"]
        elif sig == RESOURCE_SIG:
            return False, None
        else:
            return True, value  # an asset or archive: judged by the caller
    return True, value


def _parse_number(text: str, integer: bool) -> float | None:
    """The number a string decodes to the way Terraform's weak decoding reads it, None if it does not."""
    if text != text.strip() or not text:
        return None
    try:
        return float(int(text, 0)) if integer else float(text)
    except ValueError:
        if integer and re.fullmatch(r"[+-]?\d+", text):
            return float(int(text, 10))  # leading zeros: Go reads them (as octal), Python's base 0 does not
        return None


def _allowed(value: Any, allowed: tuple[str | int | float, ...]) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return any((isinstance(a, int | float) and float(a) == float(value)) or str(a) == _num(value) for a in allowed)
    text = str(value)
    lowered = {str(a).lower() for a in allowed}
    if text.lower() in lowered:
        return True
    parts = [p.strip().lower() for p in text.split(",")]
    return len(parts) > 1 and all(p in lowered for p in parts)


def _num(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _values(values: tuple[str | int | float, ...]) -> str:
    return ", ".join(_num(v) if isinstance(v, int | float) else str(v) for v in values)


def _show(value: Any) -> str:
    """A short description of a value for a message: `string "abc"`, `number 3.5`, `list`, `object`."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {_num(value)}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'string "{shown}"'
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' * (len(value) != 1)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _join(path: str, key: str) -> str:
    """`ingress[0]` + `fromPort` -> `ingress[0].fromPort`; keys that are not names are quoted: `tags["a:b"]`."""
    if _IDENT.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f'{path}["{key}"]'


def _unknown_message(key: str, names: list[str], owner: str) -> str:
    """Unknown property text: the likely intended name, and the known names nearest to the typo."""
    same_case = [n for n in names if n.lower() == key.lower()]
    close = same_case + [n for n in difflib.get_close_matches(key, names, n=3, cutoff=0.6) if n not in same_case]
    if close:
        return f'unknown property "{key}" of {owner}; did you mean "{close[0]}"? (nearest known: {", ".join(close)})'
    nearest = difflib.get_close_matches(key, names, n=5, cutoff=0.3)
    if nearest:
        return f'unknown property "{key}" of {owner}; nearest known properties: {", ".join(nearest)}'
    known = sorted(names)
    listed = ", ".join(known[:10]) + (f" ({len(known)} in all)" if len(known) > 10 else "")
    return f'unknown property "{key}" of {owner}; known properties: {listed or "none"}'
