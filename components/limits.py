"""AWS limits shared by several config models.

CloudWatch Logs retention values: the `retentionInDays` of PutRetentionPolicy,
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
"""

from __future__ import annotations

# The retention values CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def log_retention(value: object) -> int:
    """A CloudWatch Logs retention in days, checked before pydantic's coercion (`true` is not 1 day,
    "365" and 365.0 are not 365)."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(v) for v in LOG_RETENTION_DAYS)
        raise ValueError(f"{value!r} is not a CloudWatch Logs retention in days; allowed: {allowed}")
    return value
