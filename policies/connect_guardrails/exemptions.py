"""Per-rule exemptions: the config shape, what makes one valid, matching, and the in-process recorder.

An exemption lives in the pack config under the rule it waives (the engine keys pack config by policy):
`{"alb-access-logs": {"exemptions": [{"resource": "platform-alb", "reason": "...", "expires": "2027-03-31",
"ticket": "OPS-12"}]}}`. `resource` is a URN or a glob (fnmatch) matched against the URN and against the
resource name (the URN's last segment). An exemption is valid when its reason has at least
`MIN_REASON` characters, its expiry is a YYYY-MM-DD date not in the past, and the rule is not
unwaivable; invalid exemptions never suppress anything.

A suppressed finding is not reported by its rule; it is passed to `record`. Every guarded check also
notes the exemptions it was configured with (`note_configured`). The pack's last three policies
(`integrity.py`) read both, so that `pulumi preview` itself shows invalid exemptions (mandatory),
unused ones (advisory) and every exempted finding (advisory, with the reason). In-process callers
(`connectctl`) read the same lists and `clear` them between runs. The engine calls `AnalyzeStack` after
every `Analyze` of a run, and the last integrity policy closes the run (`end_run`), which is what
makes this shared state sound, also when one pack process serves several runs.
"""

from __future__ import annotations

import datetime
import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MIN_REASON = 20
TODAY_ENV = "CONNECT_TODAY"
NOW_ENV = "CONNECT_NOW"

SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Resources this rule does not report, each with a reason (>= 20 characters), an expiry "
                   "date (YYYY-MM-DD) and optionally a ticket. Ignored for unwaivable rules.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "description": "A URN, or a glob (fnmatch) over URNs and resource names."},
            "reason": {"type": "string", "description": "Why the finding is accepted (at least 20 characters)."},
            "expires": {"type": "string", "description": "Last day the exemption holds (YYYY-MM-DD)."},
            "ticket": {"type": "string", "description": "The ticket tracking the fix."},
        },
        # Only `resource` is required by the schema: a missing reason or expiry must reach the pack, which
        # reports it as a mandatory finding instead of the engine refusing the whole config.
        "required": ["resource"],
        "additionalProperties": False,
    },
}


@dataclass(frozen=True)
class Exempted:
    """One finding an exemption suppressed."""

    policy: str
    urn: str
    message: str
    exemption: dict[str, Any]


RECORDED: list[Exempted] = []
CONFIGURED: dict[str, tuple[bool, list[Any]]] = {}
LAST_RUN: list[Exempted] = []


def record(policy: str, urn: str, message: str, exemption: Mapping[str, Any]) -> None:
    """Remember a suppressed finding: `exempted-findings` reports it, `connectctl` marks it exempt."""
    RECORDED.append(Exempted(policy, urn, message, dict(exemption)))


def note_configured(policy: str, unwaivable: bool, entries: Any) -> None:
    """Remember that `policy` ran, with these exemptions (its own config is all a policy sees)."""
    CONFIGURED[policy] = (unwaivable, list(entries) if isinstance(entries, list) else [])


def end_run() -> None:
    """Close a run (called by the pack's last policy): its exempted findings move to `LAST_RUN` for
    in-process callers, and the next run starts clean even in a long-lived pack process."""
    LAST_RUN[:] = RECORDED
    RECORDED.clear()
    CONFIGURED.clear()


def clear() -> None:
    """Forget everything recorded (before an in-process run)."""
    RECORDED.clear()
    CONFIGURED.clear()
    LAST_RUN.clear()


def today() -> datetime.date:
    """Today's UTC date; `CONNECT_TODAY` (YYYY-MM-DD) or `CONNECT_NOW` (ISO 8601 time) set it in tests.

    Why UTC: CI runners and operators' laptops sit in different zones; an exemption expires on the
    same day for all of them. `CONNECT_NOW` is the clock `connectctl` reads too (components/clock.py;
    the pack is self-contained, so it reads the variable itself).
    """
    override = os.environ.get(TODAY_ENV)
    if override:
        return datetime.date.fromisoformat(override)
    moment = os.environ.get(NOW_ENV)
    if moment:
        return datetime.datetime.fromisoformat(moment.replace("Z", "+00:00")).date()
    return datetime.datetime.now(datetime.UTC).date()


def parse_date(value: Any) -> datetime.date | None:
    """A YYYY-MM-DD date, or None when missing or not one."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def problems(exemption: Any, unwaivable: bool, on: datetime.date | None = None) -> list[str]:
    """Why the exemption cannot be honoured; empty when it is valid."""
    if not isinstance(exemption, Mapping):
        return ["is not an object"]
    found = []
    if unwaivable:
        found.append("the rule is unwaivable")
    reason = exemption.get("reason")
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        found.append(f"reason is shorter than {MIN_REASON} characters")
    expires = exemption.get("expires")
    date = parse_date(expires)
    if expires is None:
        found.append("expires is missing")
    elif date is None:
        found.append(f"expires {expires!r} is not a YYYY-MM-DD date")
    elif date < (on or today()):
        found.append(f"expired on {date.isoformat()}")
    if not isinstance(exemption.get("resource"), str) or not exemption.get("resource"):
        found.append("resource is missing")
    return found


def valid(exemptions: Any, unwaivable: bool) -> list[Mapping[str, Any]]:
    """The exemptions of a rule's config that may suppress findings."""
    if unwaivable or not isinstance(exemptions, list):
        return []
    on = today()
    return [e for e in exemptions if not problems(e, unwaivable, on)]


def name_of(urn: str) -> str:
    """A URN's resource name (its last `::` segment)."""
    return urn.rsplit("::", 1)[-1]


def matches(exemption: Mapping[str, Any], urn: str, name: str | None = None) -> bool:
    """The exemption's `resource` names the resource: equal to, or a glob over, its URN or name."""
    pattern = str(exemption.get("resource", ""))
    if not urn or not pattern:
        return False
    names = {urn, name or name_of(urn)}
    return any(n == pattern or fnmatch.fnmatchcase(n, pattern) for n in names)


def first_match(exemptions: list[Mapping[str, Any]], urn: str, name: str | None = None) -> Mapping[str, Any] | None:
    """The first exemption that names the resource, or None."""
    return next((e for e in exemptions if matches(e, urn, name)), None)


def suffix(exemption: Mapping[str, Any]) -> str:
    """` [exempt: <reason> (ticket <ticket>, expires <date>)]` for a finding's message."""
    details = ([f"ticket {exemption['ticket']}"] if exemption.get("ticket") else []) + \
        [f"expires {exemption.get('expires')}"]
    return f" [exempt: {exemption.get('reason')} ({', '.join(details)})]"
