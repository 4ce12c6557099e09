r"""What every section of the stack file shares: the model base, the issue types, slugs, account ids and role
ARNs, bounded numbers, and how values (secrets hidden) are quoted back in messages.

Patterns are written once, as Python regexes (`\Z`, not `$`, which also matches before a trailing newline,
e.g. from a YAML block scalar; ASCII `\d`/`\w` where AWS only takes ASCII: full-width or Arabic-Indic digits are
no account id) and handed to the JSON Schema by `schema_pattern` (ECMA 262 has no `\Z`).
"""

from __future__ import annotations

import datetime
import difflib
import functools
import re
import typing
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, GetCoreSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema, core_schema

from components.limits import LOG_RETENTION_DAYS, log_retention
from components.regions import REGION_ZONES

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\Z", re.ASCII)
ACCOUNT_ID = re.compile(r"^\d{12}\Z", re.ASCII)
ROLE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/[\w+=,.@/-]{1,64}\Z", re.ASCII)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
# Top-level keys a stack file may set, with the model field that holds each.
CONNECT_KEYS = ("connect:tenant", "connect:network", "connect:registry", "connect:platform", "connect:services",
                "connect:vpn", "connect:alerts", "connect:data", "connect:dr", "connect:access")
REGION_KEY = "aws:region"


def schema_pattern(pattern: re.Pattern[str]) -> str:
    r"""A Python pattern as JSON Schema writes it: `\Z` (end of text) becomes `$` (ECMA 262, without the m flag)."""
    return pattern.pattern.replace(r"\Z", "$")


def pattern_hint(pattern: re.Pattern[str], min_length: int | None = None, max_length: int | None = None) -> Any:
    """`json_schema_extra` carrying a pattern (and lengths) for editors: the JSON Schema says what is allowed, the
    field's validator decides and explains (a pydantic `pattern` would answer first, with its own message)."""
    hint: dict[str, Any] = {"pattern": schema_pattern(pattern)}
    if min_length is not None:
        hint["minLength"] = min_length
    if max_length is not None:
        hint["maxLength"] = max_length
    return hint


class ConfigIssue(BaseModel):
    """One problem in a stack file: where it is and what is allowed instead."""

    path: str
    message: str


@dataclass
class StackConfigError(Exception):
    """Raised with every issue found in one stack file; `str()` is the user-facing report."""

    source: str
    issues: list[ConfigIssue]

    def __str__(self) -> str:
        lines = [f"{self.source}: invalid stack configuration ({len(self.issues)} problem(s))"]
        lines += [f"  {issue.path}: {issue.message}" for issue in self.issues]
        return "\n".join(lines)


class Model(BaseModel):
    """Stack-file models: camelCase keys, unknown keys rejected, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True)


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation (`Model`, `Model | None`, `list[Model]`), if any: where a config path leads
    (error messages, the generated stack-file reference)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = model_in(arg)
        if found is not None:
            return found
    return None


# Numbers are bounded where they are declared, once, as `Annotated[int, Field(ge=..., le=...), Worded(...)]`: the
# Field gives the JSON Schema its minimum and maximum, `Worded` checks the value against those same bounds before
# pydantic's coercion and words the message (`allowed: tasks from 1 to 1000`); the constraint then never fails,
# it documents. Texts carry their pattern for the JSON Schema (`pattern_hint`) and their check (`matching`, or
# a function of their own) in the same `Annotated`.


@dataclass(frozen=True)
class Worded:
    """`Annotated` metadata after a `Field(ge=..., le=...)` (or `gt=`): `check(value, lo=..., hi=...)` runs before
    pydantic's coercion with the Field's own bounds, so a bound is written once and its message in one place."""

    check: Callable[..., Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler(source)  # the number's schema, the Field's bounds applied
        bounds = {"lo": schema.get("ge", schema.get("gt")), "hi": schema.get("le")}
        if bounds["lo"] is None or bounds["hi"] is None:  # a model's definition error, met when it is built
            raise TypeError(f"Worded({self.check!r}) needs Field(ge= or gt=, le=) before it in the Annotated type")
        return core_schema.no_info_before_validator_function(functools.partial(self.check, **bounds), schema)


def whole(what: str) -> Worded:
    """A whole number of `what` within the Field's bounds, worded by `strict_int`."""
    return Worded(functools.partial(strict_int, what=what))


def known_region(value: str) -> str:
    """An AWS region code this project knows the zones of."""
    if value not in REGION_ZONES:
        raise ValueError(unknown_region(value))
    return value


def unknown_region(value: str) -> str:
    """The message for a region code we do not know, with the closest known one as a hint."""
    close = difflib.get_close_matches(value, list(REGION_ZONES), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{value!r} is not an AWS region code{hint}; allowed: {', '.join(REGION_ZONES)}"


def matching(pattern: re.Pattern[str], what: str, allowed: str, quote: Callable[[Any], str] = repr) -> AfterValidator:
    """A text `pattern` matches, else `'value' is not <what>; allowed: <allowed>` (after pydantic's type check)."""
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{quote(value)} is not {what}; allowed: {allowed}")
        return value

    return AfterValidator(check)


def each_once(values: Sequence[Any], message: str) -> None:
    """Refuse values listed more than once: `message` with `{}` standing for them, sorted and comma-joined."""
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ValueError(message.format(", ".join(dupes)))


Region = Annotated[str, AfterValidator(known_region), Field(json_schema_extra={"enum": list(REGION_ZONES)})]
LogRetentionDays = Annotated[  # CloudWatch Logs
    int, BeforeValidator(log_retention), Field(json_schema_extra={"enum": list(LOG_RETENTION_DAYS)})]


def slug(value: str, *, lo: int, hi: int) -> str:
    """A slug of `lo` to `hi` characters: lowercase letters, digits and single hyphens, starting with a letter."""
    if not (lo <= len(value) <= hi) or not SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a slug; allowed: {lo}-{hi} characters of lowercase letters, digits "
            "and single hyphens, starting with a letter (e.g. 'acme')"
        )
    return value


def as_written(value: int) -> str:
    """The digits of an unquoted number as the stack file wrote them (`011111111111`, read by YAML as octal), or
    the number padded to 12 digits when it was written without a leading zero."""
    written = getattr(value, "written", None)
    return str(written).lstrip("+") if written else f"{value:012d}"


def account_id(value: Any) -> Any:
    """An AWS account id: 12 digits written as text (an unquoted number would lose its leading zeros)."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"{getattr(value, 'written', value)} is a number; write the account id as a quoted 12-digit string "
            f"(\"{as_written(value)}\") so leading zeros survive"
        )
    if isinstance(value, str) and not ACCOUNT_ID.match(value):
        raise ValueError(f"{value!r} is not an AWS account id; allowed: exactly 12 digits, quoted")
    return value


# Text types of several sections.
MIN_SLUG, MAX_SLUG = 2, 20  # client and environment slugs
Slug = Annotated[str, Field(json_schema_extra=pattern_hint(SLUG, MIN_SLUG, MAX_SLUG)),
                 AfterValidator(functools.partial(slug, lo=MIN_SLUG, hi=MAX_SLUG))]
AccountId = Annotated[str, BeforeValidator(account_id), Field(json_schema_extra=pattern_hint(ACCOUNT_ID))]
RoleArn = Annotated[str, Field(json_schema_extra=pattern_hint(ROLE_ARN))]  # checked where it is declared


def date_or_none(value: Any) -> datetime.date | None:
    """A `YYYY-MM-DD` date (a date object as YAML reads it, or text), None when it is not one."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    try:
        if isinstance(value, str) and DATE.match(value):
            return datetime.date.fromisoformat(value)
    except ValueError:
        pass
    return None


def strict_int(value: Any, what: str, lo: int, hi: int) -> int:
    """A whole number of `what` from `lo` to `hi`, checked before pydantic's coercion (`true`, "5", 5.0 are refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number; allowed: {what} from {lo} to {hi}")
    if not lo <= value <= hi:
        raise ValueError(f"{value} is out of range; allowed: {what} from {lo} to {hi}")
    return value


# Secret config values (and their texts) while a stack config is validated: `shown` hides them before it
# cuts a value short, so not even a prefix of a secret reaches a message (set by `parse_stack_config`).
SECRET_TEXTS: ContextVar[frozenset[str]] = ContextVar("secret_texts", default=frozenset())
SECRET = "[secret]"


def hide_secrets(text: str, secrets: frozenset[str] | None = None) -> str:
    """`text` with every secret replaced by `[secret]`, also where it appears escaped (`repr`)."""
    for secret in sorted(SECRET_TEXTS.get() if secrets is None else secrets, key=len, reverse=True):
        text = text.replace(secret, SECRET)
        escaped = repr(secret)[1:-1]
        if escaped != secret:
            text = text.replace(escaped, SECRET)
    return text


def shown(value: Any, limit: int = 80) -> str:
    """A value as the user wrote it, secrets hidden, cut short so one huge value cannot flood the report."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's int-to-text limit (4300 digits)
        return "a number of over 4300 digits"
    text = hide_secrets(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def amount(value: Any, lo: int, hi: int, *, what: str = "days", per: str = "") -> int:
    """A whole number of `what` from `lo` to `hi`, checked before pydantic's coercion (`true`, "7", 7.0 are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{shown(value)} is not a number of {what}; allowed: {lo} to {hi}{per}")
    return value


def days(value: Any, lo: int, hi: int) -> int:
    """A whole number of days from `lo` to `hi`, checked before pydantic's coercion (`true`, "7", 7.0 are refused)."""
    return amount(value, lo, hi)
