"""The one clock the program and every command read, so a test can set it instead of racing the calendar.

It lives with the program (the deployed program judges dates too: a release exemption's expiry, a
decommissioning notice) and imports the standard library only; connectctl reads it from here.

Why: a recovery point's age, an exemption's expiry and a report's time all compare with "now". A
test that builds data relative to a fixed date and lets the code read the real clock passes only
until that date is far enough behind (it broke CI once). Code reads `now()`; tests set
`CONNECT_NOW` (ISO 8601, e.g. `2026-11-27T12:00:00Z`) or move the process clock (time-machine).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

NOW_ENV = "CONNECT_NOW"


class ClockError(ValueError):
    """`CONNECT_NOW` holds something that is not an ISO 8601 time."""


def now() -> datetime:
    """The current time in UTC, or `CONNECT_NOW` when set (a time without zone is taken as UTC)."""
    override = os.environ.get(NOW_ENV)
    if not override:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(override.replace("Z", "+00:00"))
    except ValueError:
        raise ClockError(f"{NOW_ENV}={override!r} is not an ISO 8601 time (e.g. 2026-11-27T12:00:00Z)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
