"""`connect:alerts`: who hears the environment's alarms (the alerts topic) and when they fire."""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from components.config.base import Model, Worded


def _number(value: Any, what: str, lo: float, hi: float, *, above: bool = False) -> float:
    """A number in range, checked before pydantic's coercion ("5", `true` and NaN are not thresholds)."""
    allowed = f"{what} above {lo:g} and at most {hi:g}" if above else f"{what} from {lo:g} to {hi:g}"
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value in (
            float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a number; allowed: {allowed}")
    if value > hi or value < lo or (above and value == lo):
        shown = f"{value:g}" if isinstance(value, float) or abs(value) < 10**15 else "a number that large"
        raise ValueError(f"{shown} is out of range; allowed: {allowed}")
    return float(value)


def _whole(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number; allowed: {what} from {lo} to {hi}")
    if not lo <= value <= hi:
        shown = str(value) if abs(value) < 10**15 else "a number that large"
        raise ValueError(f"{shown} is out of range; allowed: {what} from {lo} to {hi}")
    return value


ALARM_PERIODS = (60, 300, 900, 3600)  # CloudWatch periods whose metrics every alarmed namespace publishes
MAX_EVALUATION_PERIODS = 24  # 24 x 3600 s = one day, CloudWatch's longest evaluation range
MAX_LATENCY_SECONDS = 4000  # the longest idle timeout of an application load balancer
DEFAULT_P99 = 2.5
# Bounds for the JSON Schema, checked first (and explained) by `_number` and `_whole` (components/config/base.py,
# `Worded`).
Percent = Annotated[float, Field(gt=0, le=100), Worded(partial(_number, what="a percentage", above=True))]
Seconds = Annotated[float, Field(gt=0, le=MAX_LATENCY_SECONDS), Worded(partial(_number, what="seconds", above=True))]
Periods = Annotated[int, Field(ge=1, le=MAX_EVALUATION_PERIODS), Worded(partial(_whole, what="periods"))]
Requests = Annotated[int, Field(ge=0, le=1_000_000), Worded(partial(_whole, what="requests per period"))]


class AlertThresholds(Model):
    """When the environment's alarms fire; the defaults are the platform team's paging bar.

    One set per environment, applied to every service, load balancer and NAT gateway of it. Every
    alarm needs `evaluationPeriods` consecutive breaching periods of `periodSeconds` to fire, so a
    single bad minute (a deployment, a cold start) does not page anyone.
    """

    period_seconds: int = Field(
        default=60, json_schema_extra={"enum": list(ALARM_PERIODS)},
        description="Length of one evaluated period: 60, 300, 900 or 3600 seconds.")
    evaluation_periods: Periods = Field(
        default=3,
        description=f"Consecutive breaching periods before an alarm fires (1-{MAX_EVALUATION_PERIODS}).")
    error_rate_percent: Percent = Field(
        default=5.0,
        description="5xx rate: per service the share of its requests its tasks answered with a 5xx, per load "
        "balancer the share it answered with a 5xx itself; in percent (above 0, up to 100).")
    minimum_requests: Requests = Field(
        default=10,
        description="Requests per period below which the 5xx share is not judged (a single error among three "
        "requests pages nobody); 0-1000000.")
    latency_p95_seconds: Seconds = Field(
        default=1.0,
        description="Per service: target response time at the 95th percentile, in seconds (above 0, up to 4000).")
    latency_p99_seconds: Seconds = Field(
        default=DEFAULT_P99,
        description="Per service: target response time at the 99th percentile, in seconds; at least "
        "latencyP95Seconds, up to 4000.")
    cpu_percent: Percent = Field(
        default=85.0,
        description="Per service: average CPU of its tasks, in percent; must be above every service's "
        "scaling.cpuTarget (above 0, up to 100).")
    memory_percent: Percent = Field(
        default=85.0,
        description="Per service: average memory of its tasks, in percent (above 0, up to 100).")
    nat_packet_drop_percent: Percent = Field(
        default=0.01,
        description="Per NAT gateway: dropped packets as a share of the packets it received, in percent; AWS's "
        "guidance is 0.01 (above 0, up to 100).")

    @model_validator(mode="before")
    @classmethod
    def _p99_default(cls, data: Any) -> Any:
        """Hand the default p99 to its validator when only p95 is set (defaults are not validated)."""
        if isinstance(data, dict) and "latencyP95Seconds" in data and "latencyP99Seconds" not in data:
            return {**data, "latencyP99Seconds": DEFAULT_P99}
        return data

    @field_validator("period_seconds", mode="before")
    @classmethod
    def _period(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value not in ALARM_PERIODS:
            raise ValueError(f"{value!r} is not an alarm period; allowed: {', '.join(map(str, ALARM_PERIODS))} "
                             "seconds")
        return value

    @field_validator("latency_p99_seconds")
    @classmethod
    def _tail(cls, value: float, info: ValidationInfo) -> float:
        p95 = info.data.get("latency_p95_seconds")  # absent when p95 itself was invalid
        if p95 is not None and value < p95:
            unset = " (the default: set latencyP99Seconds too)" if value == DEFAULT_P99 else ""
            raise ValueError(f"{value:g}{unset} is below latencyP95Seconds ({p95:g}); allowed: from {p95:g} to "
                             f"{MAX_LATENCY_SECONDS} (the 99th percentile is never faster than the 95th)")
        return value


class AlertsConfig(Model):
    """Who hears the environment's alarms (the alerts topic), and when they fire (`thresholds`)."""

    emails: list[str] = Field(default_factory=list, description="Email addresses subscribed to the alerts topic.")
    https_endpoints: list[str] = Field(default_factory=list, description="HTTPS URLs subscribed (e.g. on-call).")
    thresholds: AlertThresholds = Field(default_factory=AlertThresholds, description="When the alarms of the "
                                        "environment fire; every key is optional.")

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if not re.match(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}\Z", email):
                raise ValueError(f"{email!r} is not an email address; allowed: name@domain.tld")
        return value

    @field_validator("https_endpoints")
    @classmethod
    def _https(cls, value: list[str]) -> list[str]:
        for url in value:
            if not re.match(r"^https://[^\s/]+(/\S*)?\Z", url):
                raise ValueError(f"{url!r} is not an HTTPS URL; allowed: https://host/path")
        return value
