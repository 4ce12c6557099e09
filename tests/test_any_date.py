"""Nothing in the product or the suite depends on today's date.

Two proofs, both cheap enough for every run (`make test-future` runs the whole suite a year ahead):
- only the clock modules read the wall clock (`components/clock.py`; the pack's `exemptions.today`, which
  must stay self-contained), so every comparison with "now" can be set by a test;
- the tests that compare with "now" (recovery-point ages, exemption expiry, DR verification) pass in a
  fresh process whose clock is 366 days ahead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WALL_CLOCK = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|datetime\.today|time\.time)\(")
CLOCK_MODULES = {Path("components/clock.py"), Path("policies/connect_guardrails/exemptions.py")}
DATED_TESTS = ["tests/policies/test_exemptions.py", "tests/connectctl/test_audit.py",
               "tests/connectctl/test_release.py", "-k", "exemption or expir or dr_ or recovery or verify or today"]


def test_only_the_clock_modules_read_the_wall_clock() -> None:
    readers = sorted(
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("components", "connectctl", "policies", "__main__.py")
        for path in ([ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py")))
        if path.relative_to(ROOT) not in CLOCK_MODULES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if WALL_CLOCK.search(line)
    )
    assert readers == [], "read components.clock.now() instead, so tests can set the time"


@pytest.mark.parametrize("days", [366])
def test_the_dated_tests_pass_a_year_ahead(days: int) -> None:
    env = {**os.environ, "CONNECT_TEST_CLOCK_SHIFT_DAYS": str(days)}
    env.pop("CONNECT_NOW", None)
    env.pop("CONNECT_TODAY", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", *DATED_TESTS],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    moved = re.search(r"clock moved (\d+) days ahead: now (\d{4}-\d\d-\d\d)", run.stdout)
    # this process may itself run shifted (make test-future): the child's date is the real one plus `days`
    real_today = datetime.now(UTC) - timedelta(days=int(os.environ.get("CONNECT_TEST_CLOCK_SHIFT_DAYS") or 0))
    assert moved and int(moved.group(1)) == days, run.stdout[:2000]
    assert abs(date.fromisoformat(moved.group(2)) - (real_today + timedelta(days=days)).date()) <= timedelta(days=1)
    passed = re.search(r"\b(\d+) passed\b", run.stdout)
    assert passed and int(passed.group(1)) >= 15 and " failed" not in run.stdout, run.stdout[-2000:]
