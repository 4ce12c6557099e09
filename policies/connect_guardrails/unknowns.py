"""Values that may not be known yet: reading them without tripping the SDK's wrapper, and the preview note.

Values come wrapped by the policy SDK: reading an unknown value through the wrapper raises
`UnknownValueError`, which the engine reports as "can't run policy during preview" (`sdk.py`). These helpers
let a rule ask "is it set?" or "is it known?" without tripping that, and read the value only when the answer
matters:

- `known(props, *path)`: the value a decision needs right now; unknown, it is read through the wrapper, so the
  rule ends with the engine's note (the idiom `v = get_raw(...); if is_unknown(v): v = props[...]`);
- `Pending`: unknowns that decide the outcome, read only after the rule has reported what it can prove;
  `pending.read(props, *path)` reads a value and records it when unknown, so a one-property check reads

      value = pending.read(props, "key")        # the raw value, None when absent; unknown: recorded
      if is_known(value) and <decision on value>:
          problems.append(...)

  (the idiom `v = get_raw(props, "key"); if is_unknown(v): pending.add(props, "key")`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from connect_guardrails.sdk import UNKNOWN_VALUES, unwrap

raw = unwrap
Deciding = list[tuple[Any, tuple[Any, ...]]]  # (props, path) of unknown values that could decide an outcome


def is_unknown(value: Any) -> bool:
    """True when the value (or the wrapper around it) is not known yet."""
    value = raw(value)
    return isinstance(value, str) and value in UNKNOWN_VALUES


def is_known(value: Any) -> bool:
    """True when the value is known (absent counts as known: None)."""
    return not is_unknown(value)


def get_raw(props: Any, key: str, default: Any = None) -> Any:
    """A property's raw value (sentinel if unknown), never raising."""
    target = raw(props)
    if isinstance(target, Mapping):
        return target.get(key, default)
    return default


def known(props: Any, *path: str) -> Any:
    """The raw value at `props[path...]`; when it is unknown, it is read through the SDK's wrapper, which raises
    `UnknownValueError`: the engine notes "can't run policy during preview" (the value decides the outcome)."""
    value = props
    for key in path:
        value = get_raw(value, key)
    if is_unknown(value):
        value = props
        for key in path:
            value = value[key]  # raises UnknownValueError: the engine notes it
    return value


def is_set(props: Any, key: str) -> bool:
    """The property is present and not empty/None; an unknown value counts as set."""
    value = get_raw(props, key)
    return value not in (None, "", [], {})


def is_known_set(props: Any, key: str) -> bool:
    """The property is present, known and not empty."""
    return is_set(props, key) and not is_unknown(get_raw(props, key))


def known_str(props: Any, key: str) -> str | None:
    """A property's value when it is a known, non-empty string; else None."""
    value = get_raw(props, key)
    return value if isinstance(value, str) and value and not is_unknown(value) else None


def plain(value: Any) -> Any:
    """The whole value as plain dicts and lists, every wrapper removed (unknowns stay as sentinels)."""
    value = raw(value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def unknown_path(value: Any) -> tuple[Any, ...] | None:
    """Where the first unknown sits inside a (plain or wrapped) value: () for the value itself."""
    value = raw(value)
    if is_unknown(value):
        return ()
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        inner = unknown_path(item)
        if inner is not None:
            return (key, *inner)
    return None


class Pending:
    """Unknown values that decide an outcome, read through the SDK's wrapper only at the end.

    Reading an unknown raises `UnknownValueError` and ends the policy, so a rule first reports every
    finding it can prove, then calls `settle()`: the first unknown it recorded is read, and the engine
    turns that into its "can't run policy during preview" note.
    """

    def __init__(self) -> None:
        self._reads: list[tuple[Any, tuple[Any, ...]]] = []

    def add(self, props: Any, *path: Any) -> None:
        """Remember that the value at `props[path...]` was needed but unknown."""
        self._reads.append((props, path))

    def read(self, props: Any, *path: Any) -> Any:
        """The raw value at `props[path...]`, never raising (None when absent; an int steps into a list); when it
        is unknown, `props[path...]` is recorded as `add(props, *path)` records it, and the sentinel returned."""
        value = props
        for key in path:
            target = raw(value)
            if isinstance(target, Mapping):
                value = target.get(key)
            elif isinstance(target, list | tuple) and isinstance(key, int) and 0 <= key < len(target):
                value = target[key]
            else:
                value = None
        if is_unknown(value):
            self.add(props, *path)
        return value

    def add_all(self, deciding: Iterable[tuple[Any, tuple[Any, ...]]]) -> None:
        """Remember each (props, path) of `deciding` (unknowns a helper found that could decide)."""
        for props, path in deciding:
            self.add(props, *path)

    def add_unknown_parts(self, props: Any, *keys: str) -> bool:
        """Remember where each of `keys` of `props` is unknown, or first holds an unknown part (`unknown_path`);
        True when any does (the values that would decide are not all known)."""
        undecided = False
        for key in keys:
            where = unknown_path(get_raw(props, key))
            if where is not None:
                self.add(props, key, *where)
                undecided = True
        return undecided

    def __bool__(self) -> bool:
        return bool(self._reads)

    def settle(self) -> None:
        """Read what was recorded, through the wrapper: raises on the first unknown."""
        for props, path in self._reads:
            value = props
            for key in path:
                value = value[key]
