"""Test set-up: the project root and the pack directory importable, as the CLI arranges them.

`CONNECT_TEST_CLOCK_SHIFT_DAYS=N` moves this process's clock N days ahead (time-machine, ticking)
before any test runs: `make test-future` runs the whole suite a year ahead, and
`tests/test_any_date.py` runs the clock-reading tests that way in every `make test`. Nothing in the
suite may depend on today's date.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "policies"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

SHIFT_ENV = "CONNECT_TEST_CLOCK_SHIFT_DAYS"


def pytest_configure(config: pytest.Config) -> None:
    """Start the time shift once per process (each xdist worker runs this too)."""
    days = os.environ.get(SHIFT_ENV)
    if days:
        import time_machine

        traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=int(days)), tick=True)
        traveller.start()
        config.stash[_TRAVELLER] = traveller


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say in the run's header that the clock was moved, and to when."""
    days = os.environ.get(SHIFT_ENV)
    return f"clock moved {days} days ahead: now {datetime.now(UTC):%Y-%m-%d} ({SHIFT_ENV})" if days else None


_TRAVELLER = pytest.StashKey[object]()
