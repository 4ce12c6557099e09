"""The DR region stands alone: plan with the primary region blacked out, then look for anything it gave.

The DR region exists for the day the primary region is gone. A standby resource whose inputs hold a value
the primary region computed (an id, an ARN, an endpoint) or name a resource there by ARN could be neither
created nor run that day. `plan_stack(..., blackout=<primary>)` marks every answer of the primary region
(`connectctl.engine.mocks.BLACKOUT`); `leaks()` lists each value of another region's resource that carries
the mark or an ARN of the primary region.

Only declared copy sources may do so (`COPY_SOURCES`): they name the primary's resource by design, and
AWS keeps the copy working when the source is gone (a KMS multi-Region replica key keeps its key material
and is promoted by `UpdatePrimaryRegion`: https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-update.html).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectctl.engine.capture import CapturedResource
from connectctl.engine.mocks import BLACKOUT
from connectctl.engine.regions import PROVIDER_TYPE, resource_regions

__all__ = ["BLACKOUT", "COPY_SOURCES", "Leak", "leaks", "regions"]

# (resource type, input property) whose value names the primary region's resource by design.
COPY_SOURCES: frozenset[tuple[str, str]] = frozenset({
    ("aws:kms/replicaKey:ReplicaKey", "primaryKeyArn"),
})


@dataclass(frozen=True)
class Leak:
    """A value of a non-primary resource that comes from, or points into, the blacked-out region."""

    urn: str
    region: str
    path: str
    value: str

    def __str__(self) -> str:
        return f"{self.urn} ({self.region}) {self.path}: {self.value}"


regions = resource_regions  # each resource's region: its explicit provider's `region`, else the stack's


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def leaks(resources: list[CapturedResource], primary: str, default: str) -> list[Leak]:
    """Values of custom resources outside `primary` taken from it (marked) or naming it in an ARN."""
    arn_in_primary = re.compile(rf"arn:aws[a-z-]*:[a-z0-9-]+:{re.escape(primary)}:")
    where = regions(resources, default)
    found = []
    for r in resources:
        region = where[r.urn]
        if not r.custom or r.type == PROVIDER_TYPE or region == primary:
            continue
        for path, value in _strings(r.inputs, ""):
            if (r.type, path.split(".")[0].split("[")[0]) in COPY_SOURCES:
                continue
            if BLACKOUT in value or arn_in_primary.search(value):
                found.append(Leak(r.urn, region, path, value))
    return found
