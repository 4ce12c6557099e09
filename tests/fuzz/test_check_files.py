"""Fuzz `connectctl check --state/--preview-json` with 2,000+ malformed, truncated and odd files (`check_corpus`).

The invariant, for every file: exit 0, 1 or 2; exit 2 prints `error:` with the file's name and what was
expected (or where the JSON breaks: `FILE:LINE:COLUMN: not valid JSON`); never a traceback, never the
plaintext of a value the file holds as a secret, never a flood. The bulk stops at the policy pack (its run
costs ~0.3 s whatever the file), counting files read in full as "read"; a sample of those then runs the
real pack in every report format, and a sample runs in real processes and must print the same.

Rerun one case: `check_corpus()[INDEX]`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.fuzz.check_corpus import CheckCase, check_corpus, secret_texts
from tests.fuzz.harness import InProcessCli, Run, classify_check_run, run_cases, tripwires, wrapped_secrets

ROOT = Path(__file__).resolve().parents[2]
SHARDS = 3
MIN_CASES = 2_000
SLOWEST_CASE = 10.0  # CPU seconds


def writer(folder: Path) -> Callable[[CheckCase], Path]:
    """Writes each case to its own file."""
    def write(case: CheckCase) -> Path:
        path = folder / f"{case.index}.json"
        path.write_bytes(case.data)
        return path
    return write


def arguments(case: CheckCase, path: Path) -> list[str]:
    """`check --state FILE --format F [--stack acme-staging]`."""
    return ["check", case.flag, str(path), *case.extra]


def classify(case: CheckCase, run: Run, path: Path) -> tuple[str, list[str]]:
    """`classify_check_run` with the case's own secrets (what its file holds only wrapped as secret)."""
    return classify_check_run(run, path, wrapped_secrets(case.data, secret_texts()))


def test_the_corpus_is_large_varied_and_holds_secrets() -> None:
    corpus = check_corpus()
    assert len(corpus) >= MIN_CASES
    assert Counter(case.kind.split(":")[0] for case in corpus).keys() == {
        "cut", "struct", "deep", "root", "bytes", "huge", "swap"}
    assert {case.flag for case in corpus} == {"--state", "--preview-json"}
    assert sum("--stack" in case.extra for case in corpus) >= 300
    assert any(b"10000" in case.kind.encode() or "deep:top-100000" in case.kind for case in corpus)
    # The base holds real secrets (the VPN's generated pre-shared keys), so the leak checks can fail.
    assert len(secret_texts()) >= 2
    assert all(any(json.dumps(secret)[1:-1].encode() in case.data for case in corpus) for secret in secret_texts())


@pytest.mark.parametrize("shard", range(SHARDS))
def test_bad_pulumi_files_exit_2_naming_the_file(shard: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = list(check_corpus()[shard::SHARDS])
    cli = InProcessCli(monkeypatch)
    with tripwires(monkeypatch, program=False, pack=True):
        counts, problems, slowest = run_cases(cases, writer(tmp_path),
                                              lambda case, path: cli(*arguments(case, path)), classify)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:15])
    assert sum(counts.values()) == len(cases)
    # Observed: json ~50%, shape ~20%, read ~30% of every shard.
    share = {outcome: counts.get(outcome, 0) / len(cases) for outcome in ("json", "shape", "read")}
    assert share["json"] >= 0.35, counts
    assert share["shape"] >= 0.1, counts
    assert 0.1 <= share["read"] <= 0.5, counts
    assert slowest < SLOWEST_CASE, slowest


def _read_in_full(folder: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> list[tuple[CheckCase, Path]]:
    """The first `limit` mutated files that `check` reads in full (they reach the pack)."""
    cli = InProcessCli(monkeypatch)
    write = writer(folder)
    picked = []
    with tripwires(monkeypatch, program=False, pack=True):
        for case in check_corpus():
            if not case.kind.startswith(("struct:", "huge:")):
                continue
            path = write(case)
            if cli(*arguments(case, path)).reached == "pack":
                picked.append((case, path))
            if len(picked) == limit:
                break
    return picked


def test_files_read_in_full_get_a_verdict_in_every_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real pack over mutated resources: a report that parses, or exit 2 naming the file; secrets masked."""
    picked = _read_in_full(tmp_path, monkeypatch, 40)
    assert len(picked) == 40
    cli = InProcessCli(monkeypatch)
    outcomes: Counter[str] = Counter()
    for case, path in picked:
        run = cli(*arguments(case, path))
        outcome, problems = classify(case, run, path)
        assert not problems and outcome in ("checked", "shape"), (case.name, outcome, problems, run.stderr[:500])
        outcomes[outcome] += 1
        if outcome == "shape":
            assert "the policy pack could not evaluate" in run.stderr, (case.name, run.stderr[:500])
            continue
        output = case.extra[1]
        if output in ("json", "sarif"):
            json.loads(run.stdout)
        elif output == "junit":
            ET.fromstring(run.stdout)
        else:
            assert "PASS" in run.stdout or "FAIL" in run.stdout, case.name
    assert outcomes["checked"] >= 30, outcomes


def test_in_process_runs_match_real_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """12 refused files through `python -m connectctl`: the same exit code and stderr as in-process."""
    cli = InProcessCli(monkeypatch)
    write = writer(tmp_path)
    corpus = check_corpus()
    chosen: list[tuple[CheckCase, Path, Run]] = []
    with tripwires(monkeypatch, program=False, pack=True):
        for case in corpus[:: len(corpus) // 40]:
            path = write(case)
            run = cli(*arguments(case, path))
            if run.reached != "pack" and len(case.data) < 200_000:
                chosen.append((case, path, run))
            if len(chosen) == 12:
                break
    assert len(chosen) == 12

    def real(item: tuple[CheckCase, Path, Run]) -> subprocess.CompletedProcess[bytes]:
        case, path, _ = item
        return subprocess.run([sys.executable, "-m", "connectctl", *arguments(case, path)], cwd=ROOT,
                              capture_output=True, timeout=120, check=False, env={**os.environ, "COLUMNS": "80"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(real, chosen))
    for (case, _, run), result in zip(chosen, results, strict=True):
        assert result.returncode == run.exit_code == 2, (case.name, result.stderr[-500:])
        assert b"Traceback" not in result.stderr, case.name
        assert result.stderr.decode("utf-8", "replace") == run.stderr, case.name
        assert result.stdout == b"", case.name
