"""`connect:platform.release` and `connect:services[].release`, the release gate: which scan findings keep an
image out of a stack file.

`connectctl release` reads these settings; the program never does. Neither changes a single resource
input (tests/components/test_release_config.py plans a stack with and without them): they decide which
digest a person or CI may pin, not what is deployed. Two places, like the pack's threshold and its
exemptions:

- `connect:platform.release.maxSeverity`, the client's threshold in the environment (one per stack file, so
  staging may be looser than production);
- `connect:services[].release`, one service's override of it, which must say why, until when and (optionally)
  under which ticket, and is ignored from the day after `expires` (judged by components/clock.py).
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from components.config.base import Model, date_or_none

Severity = Literal["CRITICAL", "HIGH", "MEDIUM"]
THRESHOLDS: tuple[str, ...] = ("CRITICAL", "HIGH", "MEDIUM")
DEFAULT_THRESHOLD: Severity = "HIGH"
MIN_REASON, MAX_REASON = 20, 500  # MIN_REASON as the pack's exemptions (policies/connect_guardrails/exemptions.py)
TICKET_SCHEMA = r"^[A-Za-z0-9][A-Za-z0-9._/#-]{0,63}$"  # JSON Schema (ECMA 262) has no \Z
TICKET = re.compile(TICKET_SCHEMA.removesuffix("$") + r"\Z", re.ASCII)


def _severity(value: Any) -> Any:
    if value not in THRESHOLDS or not isinstance(value, str):
        raise ValueError(f"{value!r} is not a release threshold; allowed: {', '.join(THRESHOLDS)} (an image with a "
                         "finding of this severity or above is refused)")
    return value


Threshold = Annotated[Severity, BeforeValidator(_severity)]


class ReleaseGateConfig(Model):
    """`connect:platform.release`: the threshold `connectctl release` applies to every service of the stack."""

    max_severity: Threshold = Field(
        default=DEFAULT_THRESHOLD, description="connectctl release refuses an image whose scan has a finding of "
        "this severity or above: CRITICAL, HIGH (default) or MEDIUM. Read by connectctl only.")


class ReleaseOverrideConfig(Model):
    """`connect:services[].release`: one service's own threshold, for a limited time and a stated reason."""

    max_severity: Threshold = Field(description="This service's threshold instead of "
                                   "connect:platform.release.maxSeverity: CRITICAL, HIGH or MEDIUM.")
    reason: str = Field(description=f"Why ({MIN_REASON}-{MAX_REASON} characters), e.g. the finding is not "
                        "reachable and the fix is scheduled.",
                        json_schema_extra={"minLength": MIN_REASON, "maxLength": MAX_REASON})
    expires: datetime.date = Field(description="Last day the override holds (YYYY-MM-DD, UTC; quote it in YAML); "
                                   "from the next day the stack's threshold applies again.")
    ticket: str | None = Field(default=None, description="The ticket tracking the fix, e.g. SEC-142.",
                               json_schema_extra={"pattern": TICKET_SCHEMA})

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> Any:
        if not isinstance(value, str) or not MIN_REASON <= len(value.strip()) <= MAX_REASON:
            shown = f"{len(value.strip())} characters" if isinstance(value, str) else repr(value)
            raise ValueError(f"reason is {shown}; allowed: text of {MIN_REASON}-{MAX_REASON} characters saying why "
                             "the service may ship with these findings")
        return value

    @field_validator("expires", mode="before")
    @classmethod
    def _expires(cls, value: Any) -> Any:
        day = date_or_none(value)
        if day is None:
            raise ValueError(f"{value!r} is not a date; allowed: YYYY-MM-DD, the last day the override holds")
        return day

    @field_validator("ticket", mode="before")
    @classmethod
    def _ticket(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, str) or not TICKET.match(value)):
            raise ValueError(f"{value!r} is not a ticket reference; allowed: 1-64 letters, digits, '.', '_', '/', "
                             "'#', '-', starting with a letter or digit (e.g. SEC-142)")
        return value

    def active_on(self, day: datetime.date) -> bool:
        """Holds on `day`: through its `expires` day, as the pack's exemptions."""
        return day <= self.expires
