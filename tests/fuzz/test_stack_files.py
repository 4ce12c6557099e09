"""Fuzz the stack-file loader through the CLI: 2,000+ generated and mutated files (`stack_corpus`).

The invariant, for every file: the exit code is 0, 1 or 2; exit 2 prints `error:` with the file and
either a field path (`connect:network.cidr`, `connect:services[0]...`) or a file location
(`FILE:LINE:COLUMN: YAML error`), or names the file-level problem (not a mapping, unknown top-level
key); never a traceback, never a secret's value, never a flood; and a refused file never reaches the
program, so it declares nothing. The bulk runs in-process in shards (pytest-xdist spreads them); a
sample runs in real processes and must print exactly the same, a sample of accepted files runs the
real program, and a sample of refused ones runs the program directly to prove it refuses them too
without declaring anything.

Rerun one case: `stack_corpus()[INDEX]` (the index is the first part of a case's name).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from components.config import CONNECT_KEYS, parse_stack_config
from connectctl.engine.project import ProjectError, load_project, load_stack
from connectctl.engine.runner import ProgramError, main_program, run_program
from connectctl.plan import ConfigReport, validate
from tests.fuzz.harness import FIELD_PATH, STAND_IN, InProcessCli, Run, classify_stack_run, run_cases, tripwires
from tests.fuzz.stack_corpus import STACKS, StackCase, stack_corpus

ROOT = Path(__file__).resolve().parents[2]
SHARDS = 6
MIN_CASES = 2_000
SLOWEST_CASE = 10.0  # CPU seconds; a 1 MB value takes ~1 s, an alias bomb must not take minutes


def stem(case: StackCase) -> str:
    """The stack name the file is saved under: the base's, so its pack config and account stack resolve."""
    return case.base if case.base in STACKS else "acme-dev"


def writer(folder: Path) -> Callable[[StackCase], Path]:
    """Writes each case to its own folder under its stack's file name."""
    def write(case: StackCase) -> Path:
        path = folder / str(case.index) / f"Pulumi.{stem(case)}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.data)
        return path
    return write


def test_the_corpus_is_large_varied_and_reproducible() -> None:
    corpus = stack_corpus()
    assert len(corpus) >= MIN_CASES
    families = Counter(case.kind.split(":")[0] for case in corpus)
    assert families.keys() == {"struct", "text", "yaml", "root", "huge", "bytes"}
    kinds = {case.kind for case in corpus}
    for needed in ("struct:delete", "struct:retype", "struct:number", "struct:cidr", "struct:arn", "struct:unicode",
                   "struct:escape", "struct:secure", "struct:alias", "text:tab", "text:truncate", "text:dup-line",
                   "yaml:merge-valid", "yaml:self-list", "yaml:dup-namespace", "yaml:deep-flow-list", "yaml:tag",
                   "huge:value", "bytes:garbage", "bytes:bom"):
        assert needed in kinds
    assert sum(kind.startswith("yaml:bomb") for kind in (c.kind for c in corpus)) >= 30
    assert {case.base for case in corpus} >= set(STACKS)
    assert [c.data for c in stack_corpus.__wrapped__()[:50]] == [c.data for c in corpus[:50]]  # same seed, same files


@pytest.mark.parametrize("shard", range(SHARDS))
def test_bad_stack_files_exit_2_with_a_field_path_and_declare_nothing(
    shard: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = list(stack_corpus()[shard::SHARDS])
    cli = InProcessCli(monkeypatch)
    with tripwires(monkeypatch):
        counts, problems, slowest = run_cases(
            cases, writer(tmp_path),
            lambda case, path: cli(*(arg.format(path=path) for arg in case.command)),
            lambda case, run, path: classify_stack_run(run, path),
        )
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:15])
    assert sum(counts.values()) == len(cases)
    # Each shard is a random slice of every family: if most files became valid (or all failed the
    # same way), the generator or the loader changed and the fuzzing no longer probes what it should.
    # Observed: field ~66%, yaml ~18%, valid ~13%, file ~1% of every shard.
    share = {outcome: counts.get(outcome, 0) / len(cases) for outcome in ("valid", "yaml", "file", "field")}
    assert share["field"] >= 0.5, counts
    assert share["yaml"] >= 0.1, counts
    assert 0.05 <= share["valid"] <= 0.3, counts
    assert counts.get("file", 0) >= 1, counts
    assert slowest < SLOWEST_CASE, slowest


def _refused_by_validation(corpus: tuple[StackCase, ...], folder: Path, limit: int) -> list[tuple[StackCase, Path]]:
    """Cases the loader reads but our validation refuses (ConfigReport), spread over the stacks."""
    project = load_project()
    picked: list[tuple[StackCase, Path]] = []
    per_base: Counter[str] = Counter()
    write = writer(folder)
    for case in corpus:
        if per_base[case.base] >= limit // len(STACKS) + 1 or not case.kind.startswith("struct:"):
            continue
        path = write(case)
        try:
            validate(load_stack(project, path=path))
        except ConfigReport as exc:
            if "is not declared in" not in str(exc):  # the account-stack check is connectctl's own
                picked.append((case, path))
                per_base[case.base] += 1
        except ProjectError:
            pass
        if len(picked) >= limit:
            break
    return picked


def test_the_program_refuses_the_same_files_and_declares_nothing(tmp_path: Path) -> None:
    """Under `pulumi up` the program validates the config itself: a RunError, no resource registered."""
    project = load_project()
    refused = _refused_by_validation(stack_corpus(), tmp_path, 40)
    assert len(refused) == 40
    for case, path in refused:
        stack_file = load_stack(project, path=path)
        with pytest.raises(ProgramError) as caught:
            run_program(main_program(project.main), project=project.name, stack=stack_file.stack,
                        config=stack_file.program_config(), secret_keys=stack_file.secret_keys, preview=True,
                        region="us-east-1", account_id="111111111111", root=project.root)
        assert caught.value.declared == [], case.name
        assert FIELD_PATH.search(str(caught.value)), (case.name, str(caught.value)[:300])
        assert STAND_IN not in str(caught.value), case.name


def _accepted(corpus: tuple[StackCase, ...], folder: Path) -> list[tuple[StackCase, Path]]:
    """The first accepted mutation of each stack (two of each cheap account stack)."""
    project = load_project()
    wanted = {"acme-account": 2, "globex-account": 2, "acme-staging": 1, "acme-prod": 1, "globex-prod": 1}
    picked: list[tuple[StackCase, Path]] = []
    write = writer(folder)
    for case in corpus:
        if wanted.get(case.base, 0) == 0 or not case.kind.startswith(("struct:", "text:")):
            continue
        path = write(case)
        try:
            stack_file = load_stack(project, path=path)
            cfg = validate(stack_file)
        except (ProjectError, ConfigReport):
            continue
        if cfg.tenant.account_id != parse_stack_config(load_stack(project, case.base).config, "").tenant.account_id:
            continue  # another account: its account stack reference cannot resolve offline
        picked.append((case, path))
        wanted[case.base] -= 1
    return picked


def test_accepted_mutations_plan_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files the loader accepts run the real program and pack: exit 0 or 1, a plan, secrets masked."""
    cli = InProcessCli(monkeypatch)
    accepted = _accepted(stack_corpus(), tmp_path)
    assert len(accepted) >= 6, [c.name for c, _ in accepted]
    for case, path in accepted:
        run = cli("plan", "--config-file", str(path), "--format", "json", "--no-preview")
        assert run.crash is None, (case.name, run.crash)
        if run.exit_code == 2:  # the program may refuse what only it can see (e.g. an unknown zone count)
            assert "error:" in run.stderr and FIELD_PATH.search(run.stderr), (case.name, run.stderr[:500])
            continue
        assert run.exit_code in (0, 1), (case.name, run.stderr[:500])
        assert '"resources"' in run.stdout and STAND_IN not in run.output, case.name


def _sample(corpus: tuple[StackCase, ...], size: int) -> list[StackCase]:
    """Every n-th case, skipping the few that are slow to parse (1 MB values) or would plan for real."""
    step = len(corpus) // (size * 2)
    return [c for c in corpus[::step] if not c.kind.startswith("huge:")][:size]


def test_in_process_runs_match_real_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """20 cases through `python -m connectctl`: the same exit code and the same stderr as in-process."""
    cli = InProcessCli(monkeypatch)
    write = writer(tmp_path)
    chosen: list[tuple[StackCase, Path, Run]] = []
    with tripwires(monkeypatch):
        for case in _sample(stack_corpus(), 60):
            path = write(case)
            run = cli(*(arg.format(path=path) for arg in case.command))
            if run.reached != "program":  # a valid file would run the program for seconds in the subprocess
                chosen.append((case, path, run))
            if len(chosen) == 20:
                break
    assert len(chosen) == 20
    outcomes = Counter(classify_stack_run(run, path)[0] for _, path, run in chosen)
    assert outcomes["field"] and outcomes["yaml"], outcomes

    def real(item: tuple[StackCase, Path, Run]) -> subprocess.CompletedProcess[bytes]:
        case, path, _ = item
        args = [arg.format(path=path) for arg in case.command]
        return subprocess.run([sys.executable, "-m", "connectctl", *args], cwd=ROOT, capture_output=True,
                              timeout=120, check=False, env={**os.environ, "COLUMNS": "80"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(real, chosen))
    for (case, _, run), result in zip(chosen, results, strict=True):
        assert result.returncode == run.exit_code, (case.name, result.stderr[-500:])
        assert b"Traceback" not in result.stderr, case.name
        assert result.stderr.decode("utf-8", "replace") == run.stderr, case.name
        assert result.stdout.decode("utf-8", "replace") == run.stdout, case.name


def test_every_connect_key_is_probed() -> None:
    """The mutations reach every section of the stack file, not only the first few keys."""
    corpus = stack_corpus()
    text = b"".join(case.data for case in corpus if case.kind.startswith("struct:"))
    assert all(key.encode() in text for key in CONNECT_KEYS)
