"""Shared helpers of the bad-input tests: change one field of a valid stack config, collect the issues."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Collection, Iterable, Mapping
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


# A bad-input case: id -> (base stack, changes, expected issue path(s) in order, phrases of the first issue's message)
Case = tuple[str, list[tuple[str, Any]], list[str], list[str]]


def changer(stacks: Mapping[str, dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """`config_of(stack, *changes)`: a valid stack's config from `stacks` with `(path, value)` changes applied
    (DELETE removes the key)."""

    def config_of(stack: str, *changes: tuple[str, Any]) -> dict[str, Any]:
        return with_changes(stacks[stack], *changes)

    return config_of


def each_case(cases: Mapping[str, Case]) -> pytest.MarkDecorator:
    """Parametrize a test over bad-input `cases` as (stack, changes, paths, phrases), with their ids."""
    return pytest.mark.parametrize(("stack", "changes", "paths", "phrases"), list(cases.values()), ids=list(cases))


def each_field_path(field_paths: list[tuple[str, str]]) -> pytest.MarkDecorator:
    """Parametrize a test over the (stack, path) places that odd values are put at."""
    return pytest.mark.parametrize(("stack", "path"), field_paths, ids=[f"{s}:{p}" for s, p in field_paths])


def assert_issues(issues: list[ConfigIssue], paths: list[str], phrases: Iterable[str]) -> None:
    """The issues are at `paths`, in that order, and the first one's message holds every phrase."""
    assert [issue.path for issue in issues] == paths, issues
    for phrase in phrases:
        assert phrase in issues[0].message, (phrase, issues[0].message)
