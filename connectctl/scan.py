"""`connectctl scan`: a second opinion on every stack from Checkov, the field's IaC scanner.

Why: our pack says what we decided; Checkov says what the field expects, with checks we did not
write. Every stack's offline plan is exported as Terraform plan JSON (`connectctl.tfplan`, all values
known: `--no-preview`, so policies and rules can be read) into one directory, and Checkov runs once
over it (one run: its start-up dominates). Its failures are compared with the reviewed baseline
(`checkov-baseline.yaml`): each accepted failure names a check, an address pattern, a stack pattern
and the reason a reviewer accepted it. A failure no entry covers fails the scan; so does an entry
that matches nothing any more (stale: the baseline must not outlive what it excuses).

Checkov lives in its own environment (`tools/install-checkov.sh` -> `.tools/checkov`), pinned by a
hashed lock, because its dependencies clash with ours; it never reaches the network here
(`--skip-download`, no update check, no guideline mapping).

Exit codes: 0 = nothing outside the baseline, 1 = new failures or stale entries, 2 = cannot scan
(no Checkov, an invalid baseline, Checkov failing or not reading every exported resource).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import typer
import yaml

from connectctl.engine.project import PROJECT_ROOT, load_project
from connectctl.errors import EXIT_FOUND, EXIT_INVALID, EXIT_OK, input_errors
from connectctl.plan import plan_stack
from connectctl.tfplan import to_tfplan

BASELINE = PROJECT_ROOT / "checkov-baseline.yaml"
CHECKOV = PROJECT_ROOT / ".tools" / "checkov" / "bin" / "checkov"
CHECKOV_ENV = "CONNECT_CHECKOV"
PLAN_SUFFIX = ".tfplan.json"
CHECK_ID = re.compile(r"CKV2?_[A-Z0-9]+_\d+")
EXIT_FINDINGS = EXIT_FOUND
#: Offline and quiet: no Prisma Cloud download or guideline mapping, no PyPI update check.
CHECKOV_ENVIRONMENT = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE", "LOG_LEVEL": "ERROR"}


class ScanError(Exception):
    """The scan could not run or its result cannot be trusted; the message says why."""


@dataclass(frozen=True)
class Failure:
    """One failed Checkov check on one resource of one stack."""

    stack: str
    check: str
    address: str
    name: str
    guideline: str = ""


@dataclass(frozen=True)
class Accepted:
    """A baseline entry: failures of `check` on addresses matching `resource` in stacks matching `stack`."""

    check: str
    resource: str
    stack: str
    reason: str

    def covers(self, failure: Failure) -> bool:
        """fnmatch patterns, case-sensitive (Terraform addresses are)."""
        return (failure.check == self.check and fnmatch.fnmatchcase(failure.address, self.resource)
                and fnmatch.fnmatchcase(failure.stack, self.stack))


@dataclass
class ScanResult:
    """Checkov's failures and how they compare with the baseline."""

    stacks: list[str]
    checkov_version: str
    resources: int
    failures: list[Failure]
    new: list[Failure]
    stale: list[Accepted]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every failure is accepted and every acceptance is still needed."""
        return not self.new and not self.stale

    def as_json(self) -> dict[str, Any]:
        """The `--format json` document."""
        return {
            "stacks": self.stacks,
            "checkov": self.checkov_version,
            "resources": self.resources,
            "failed": len(self.failures),
            "accepted": len(self.failures) - len(self.new),
            "new": [asdict(f) for f in self.new],
            "stale": [asdict(a) for a in self.stale],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def load_baseline(path: Path = BASELINE) -> list[Accepted]:
    """Read and check the baseline: every entry needs a check id, both patterns and a reason."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ScanError(f"{path}: cannot read the baseline: {exc}") from None
    entries = doc.get("accepted") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ScanError(f"{path}: expected a mapping with an 'accepted' list")
    found: list[Accepted] = []
    for index, entry in enumerate(entries):
        where = f"{path}: accepted[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"check", "resource", "stack", "reason"}:
            raise ScanError(f"{where}: needs exactly check, resource, stack and reason")
        values = {k: entry[k] for k in ("check", "resource", "stack", "reason")}
        if not all(isinstance(v, str) and v.strip() for v in values.values()):
            raise ScanError(f"{where}: check, resource, stack and reason must be non-empty strings")
        if not CHECK_ID.fullmatch(values["check"]):
            raise ScanError(f"{where}: {values['check']!r} is not a Checkov check id (CKV_AWS_20, CKV2_AWS_6)")
        found.append(Accepted(**{k: v.strip() for k, v in values.items()}))
    return found


def checkov_path(explicit: Path | None = None) -> Path:
    """`--checkov`, else `$CONNECT_CHECKOV`, else `.tools/checkov/bin/checkov` (tools/install-checkov.sh)."""
    path = explicit or (Path(os.environ[CHECKOV_ENV]) if os.environ.get(CHECKOV_ENV) else CHECKOV)
    if not os.access(path, os.X_OK):
        raise ScanError(f"Checkov not found at {path}: run tools/install-checkov.sh (make scan does)")
    return path


def write_plans(stacks: Iterable[str], directory: Path) -> dict[str, int]:
    """Each stack's plan (all values known) as `<stack>.tfplan.json`; resources exported per stack."""
    counts: dict[str, int] = {}
    for stack in stacks:
        doc = to_tfplan(plan_stack(stack, preview=False))
        (directory / f"{stack}{PLAN_SUFFIX}").write_text(json.dumps(doc, separators=(",", ":")))
        counts[stack] = len(doc["planned_values"]["root_module"]["resources"])
    return counts


def run_checkov(directory: Path, checkov: Path) -> tuple[str, int, list[Failure]]:
    """One Checkov run over the directory's plans: (version, resources it read, failures)."""
    command = [str(checkov), "--directory", str(directory), "--framework", "terraform_plan", "--output", "json",
               "--quiet", "--soft-fail", "--skip-download"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=directory, check=False,
                          env={**os.environ, **CHECKOV_ENVIRONMENT})
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        raise ScanError(f"Checkov failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}") from None
    reports = doc if isinstance(doc, list) else [doc]
    plans = [r for r in reports if isinstance(r, dict) and r.get("check_type") == "terraform_plan"]
    if done.returncode != 0 or not plans:
        raise ScanError(f"Checkov failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    summary = plans[0].get("summary", {})
    if summary.get("parsing_errors"):
        raise ScanError(f"Checkov could not parse {summary['parsing_errors']} plan file(s) in {directory}")
    failures = [
        Failure(stack=Path(f["file_path"]).name.removesuffix(PLAN_SUFFIX), check=f["check_id"],
                address=f["resource"], name=f.get("check_name", ""), guideline=f.get("guideline") or "")
        for r in plans for f in r.get("results", {}).get("failed_checks", [])
    ]
    return str(summary.get("checkov_version", "")), int(summary.get("resource_count", 0)), sorted(
        set(failures), key=lambda f: (f.stack, f.check, f.address))


def compare(failures: Sequence[Failure], baseline: Sequence[Accepted]) -> tuple[list[Failure], list[Accepted]]:
    """(failures no entry covers, entries that cover no failure)."""
    new = [f for f in failures if not any(a.covers(f) for a in baseline)]
    stale = [a for a in baseline if not any(a.covers(f) for f in failures)]
    return new, stale


def scan(stacks: Sequence[str] | None = None, *, baseline: Path = BASELINE, checkov: Path | None = None,
         keep: Path | None = None) -> ScanResult:
    """Export every stack (or those named), run Checkov once, compare with the baseline.

    Only with every stack is a stale entry reported: an entry for a stack left out matches nothing.
    `keep` leaves the plan files in that directory (for a look or another scanner).
    """
    accepted = load_baseline(baseline)
    executable = checkov_path(checkov)
    names = list(stacks) if stacks else load_project().stacks()
    with tempfile.TemporaryDirectory(prefix="connect-scan-") as scratch:
        directory = keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob(f"*{PLAN_SUFFIX}"):
            old.unlink()  # an earlier --keep run's plans
        if any(directory.glob("*.json")):
            raise ScanError(f"{directory} holds other JSON files, which Checkov would read as plans too")
        started = time.perf_counter()
        counts = write_plans(names, directory)
        exported = time.perf_counter()
        version, read, failures = run_checkov(directory, executable)
        timings = {"export": exported - started, "checkov": time.perf_counter() - exported}
    if read != sum(counts.values()):
        raise ScanError(f"Checkov read {read} resources, the plans hold {sum(counts.values())}: "
                        "a resource it cannot see is a resource it does not check")
    new, stale = compare(failures, accepted)
    if set(names) != set(load_project().stacks()):
        stale = []  # an entry for a stack left out matches nothing: staleness is judged over every stack
    return ScanResult(names, version, read, failures, new, stale, timings)


def render_text(result: ScanResult) -> str:
    """New failures with Checkov's guideline, stale entries, and one summary line."""
    lines = []
    for f in result.new:
        lines.append(f"NEW    {f.stack}: {f.check} {f.address}\n       {f.name}" +
                     (f"\n       {f.guideline}" if f.guideline else ""))
    for a in result.stale:
        lines.append(f"STALE  {a.check} {a.resource} (stacks {a.stack}): matches no failure any more; "
                     "remove it from the baseline")
    verdict = "PASS" if result.ok else "FAIL"
    lines.append(f"{verdict}: Checkov {result.checkov_version} over {len(result.stacks)} stack(s), "
                 f"{result.resources} resources: {len(result.failures)} failed check(s), "
                 f"{len(result.failures) - len(result.new)} accepted by the baseline, {len(result.new)} new, "
                 f"{len(result.stale)} stale baseline entr{'y' if len(result.stale) == 1 else 'ies'}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """`connectctl scan [STACK ...] [--baseline FILE] [--checkov PATH] [--keep DIR] [--format text|json]`."""
    parser = argparse.ArgumentParser(prog="connectctl scan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", nargs="*", help="stacks to scan (default: every stack; stale entries only then)")
    parser.add_argument("--baseline", type=Path, default=BASELINE, help="reviewed failures (checkov-baseline.yaml)")
    parser.add_argument("--checkov", type=Path, default=None, help=f"Checkov executable (default ${CHECKOV_ENV}, "
                        "else .tools/checkov/bin/checkov)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the Terraform plan files (<stack>.tfplan.json) to this directory and keep them")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        result = scan(args.stacks, baseline=args.baseline, checkov=args.checkov, keep=args.keep)
    except input_errors(ScanError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_INVALID
    if args.format == "json":
        sys.stdout.write(json.dumps(result.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(result))
    return EXIT_OK if result.ok else EXIT_FINDINGS


def register(app: typer.Typer) -> None:
    """Add `connectctl scan` to `app`; its arguments go to `main` as they are (argparse parses them)."""

    @app.command("scan", add_help_option=False,
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def scan_command(ctx: typer.Context) -> None:
        """Checkov's second opinion on every stack's Terraform plan, against checkov-baseline.yaml (--help)."""
        raise typer.Exit(main(ctx.args))


if __name__ == "__main__":
    sys.exit(main())
