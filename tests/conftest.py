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
    config.addinivalue_line("markers", "wall_clock: runs on the real clock even when the suite's clock is moved")
    days = os.environ.get(SHIFT_ENV)
    if days:
        import time_machine

        traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=int(days)), tick=True)
        traveller.start()
        config.stash[_TRAVELLER] = traveller


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    """Tests marked `wall_clock` run on the real clock even in a shifted run.

    Why: gRPC's C core waits on the real clock while its Python side reads the shifted one, so closing a
    channel can wait forever (tests/policies/test_analyzer_protocol.py). Those tests compare no dates.
    """
    traveller = item.config.stash.get(_TRAVELLER, None)
    paused = traveller is not None and item.get_closest_marker("wall_clock") is not None
    if paused:
        traveller.stop()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if paused:
            traveller.start()  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say in the run's header that the clock was moved, and to when."""
    days = os.environ.get(SHIFT_ENV)
    return f"clock moved {days} days ahead: now {datetime.now(UTC):%Y-%m-%d} ({SHIFT_ENV})" if days else None


_TRAVELLER = pytest.StashKey[object]()
