"""Shared helpers of the bad-input tests: change one field of a valid stack config, collect the issues."""

from __future__ import annotations

import copy
import re
from collections.abc import Collection
from typing import Any

import pytest

from components.config import ConfigIssue, StackConfigError, parse_stack_config

SOURCE = "stacks/Pulumi.test.yaml"
DELETE = object()  # as a change's value: remove the key


def tokens(path: str) -> list[str | int]:
    """`connect:services[0].image.tag` -> ["connect:services", 0, "image", "tag"]."""
    return [int(index) if index else key for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]


def with_changes(config: dict[str, Any], *changes: tuple[str, Any]) -> dict[str, Any]:
    """A copy of `config` with `(path, value)` changes applied; DELETE removes the key, an index one past
    a list's end appends."""
    changed = copy.deepcopy(config)
    for path, value in changes:
        *parents, last = tokens(path)
        target: Any = changed
        for part in parents:
            target = target[part]
        if value is DELETE:
            del target[last]
        elif isinstance(target, list) and last == len(target):
            target.append(copy.deepcopy(value))
        else:
            target[last] = copy.deepcopy(value)
    return changed


def error_of(config: dict[str, Any], secret_keys: Collection[str] | None = None) -> StackConfigError:
    """The validation error `config` must raise."""
    with pytest.raises(StackConfigError) as caught:
        parse_stack_config(config, SOURCE, secret_keys)
    assert caught.value.source == SOURCE
    return caught.value


def issues_of(config: dict[str, Any], secret_keys: Collection[str] | None = None) -> list[ConfigIssue]:
    """The issues `config` must raise."""
    return error_of(config, secret_keys).issues


def with_value(config: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `config` with `value` put at `path`, creating missing mappings and appending past a list's end."""
    changed = copy.deepcopy(config)
    *parents, last = tokens(path)
    target: Any = changed
    for part in parents:
        target = target.setdefault(part, {}) if isinstance(target, dict) else target[part]
    if isinstance(target, list) and isinstance(last, int) and last >= len(target):
        target.append(value)
    else:
        target[last] = value
    return changed


def parse_odd(config: dict[str, Any], path: str, value: Any,
              secret_keys: Collection[str] | None = None) -> StackConfigError | None:
    """Parse a config holding an odd value at `path`: it parses, or fails only with a well-formed report.

    Returns the error (None when the value was acceptable) for checks of the caller's own.
    """
    try:
        parse_stack_config(with_value(config, path, value), SOURCE, secret_keys)
    except StackConfigError as exc:
        assert exc.issues, (path, value)
        assert all(issue.path.startswith("connect:") for issue in exc.issues), (path, value, exc.issues)
        assert all(issue.message for issue in exc.issues), (path, value)
        str(exc)  # the report renders
        return exc
    return None
