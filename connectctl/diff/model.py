"""What `connectctl diff` finds: resources with their action (created, deleted, updated, replaced) and changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Action(Enum):
    """What `pulumi up` does to a resource, in the order a reader needs them (not a StrEnum: `str.replace`)."""

    replace = "replace"
    delete = "delete"
    update = "update"
    create = "create"


class _Absent:
    """A property missing on one side of a change."""

    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()


@dataclass
class Change:
    """One changed input, at a path (`cidrBlock`, `tags.Name`, `containerDefinitions[0].image`), values masked."""

    path: str
    old: Any
    new: Any
    forces_replacement: bool = False
    waits_for: list[str] = field(default_factory=list)  # replaced resources whose new IDs it takes (unknown now)

    @property
    def kind(self) -> str:
        """`add`, `delete` or `update`, as Pulumi's detailed diff names them."""
        return "add" if self.old is ABSENT else "delete" if self.new is ABSENT else "update"

    @property
    def top(self) -> str:
        """The top-level property the path is in (what the replacement rules speak of)."""
        return top_of(self.path)

    def as_json(self) -> dict[str, Any]:
        """`{"path", "kind", "old"?, "new"?, "forcesReplacement", "waitsFor"}`: a side that is absent is left out."""
        doc: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.old is not ABSENT:
            doc["old"] = self.old
        if self.new is not ABSENT:
            doc["new"] = self.new
        doc["forcesReplacement"] = self.forces_replacement
        doc["waitsFor"] = list(self.waits_for)
        return doc


@dataclass
class ResourceDiff:
    """One resource `pulumi up` would touch, with why and what."""

    urn: str
    type: str
    name: str
    action: Action
    protect: bool
    retain_on_delete: bool
    changes: list[Change] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """A protected resource replaced or deleted: the engine refuses, someone must decide."""
        return self.protect and self.action in (Action.replace, Action.delete)

    def as_json(self) -> dict[str, Any]:
        """The resource's entry in `--format json`."""
        return {
            "urn": self.urn, "type": self.type, "name": self.name, "action": self.action.value,
            "protect": self.protect, "retainOnDelete": self.retain_on_delete, "protectedViolation": self.blocked,
            "reasons": list(self.reasons), "changes": [c.as_json() for c in self.changes],
        }


@dataclass
class StackDiff:
    """The difference between two plans of one stack, ordered for review: protected first."""

    project: str
    stack: str
    old_source: str
    new_source: str
    resources: list[ResourceDiff]
    unchanged: int
    stranded: list[str] = field(default_factory=list)  # kept in a zone the change removes: see `_stranded`

    @property
    def failing(self) -> bool:
        """`pulumi up` would stop: a protected resource replaced or deleted, or an instance stranded."""
        return bool(self.blocked or self.stranded)

    @property
    def blocked(self) -> list[ResourceDiff]:
        """Protected resources that would be replaced or deleted."""
        return [r for r in self.resources if r.blocked]

    def of(self, action: Action) -> list[ResourceDiff]:
        """Resources with this action, protected ones excluded (they are listed first, on their own)."""
        return [r for r in self.resources if r.action is action and not r.blocked]

    def counts(self) -> dict[str, int]:
        """How many resources per action (protected ones included), and how many are protected."""
        counts = {action.value: sum(r.action is action for r in self.resources) for action in Action}
        return {**counts, "same": self.unchanged, "protected": len(self.blocked), "stranded": len(self.stranded)}

    def as_json(self) -> dict[str, Any]:
        """The documented `--format json` document."""
        return {
            "project": self.project, "stack": self.stack,
            "old": self.old_source, "new": self.new_source,
            "resources": [r.as_json() for r in self.resources],
            "stranded": list(self.stranded),
            "summary": self.counts(),
        }


def top_of(path: str) -> str:
    """The top-level property a change path is in (`tags.Name` -> `tags`, `ingress[0].cidr` -> `ingress`)."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]
