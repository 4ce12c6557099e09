"""Benchmark: how long `connectctl` takes to start (issue #16, part 6), and what a plan costs in a process of its own.

Three figures, each the median of `--repeat` fresh processes (wall and CPU: the machine is shared):

- `connectctl --help`, and `--help` of every command and subcommand (targets: under 0.5 s);
- the commands that do not plan (`schema`, `guardrails`, `stacks`, `new`; target: under 0.5 s);
- `connectctl plan STACK` in a process of its own beside the same plan in this process (after one warm-up plan:
  imports and caches paid), alternated so both see the same load; target: process wall within 2.5x of
  in-process wall. The difference is start-up: the interpreter, the SDK, the pulumi-aws modules the program
  declares from (during the engine's runs a service package imports its resource modules on first use:
  connectctl/engine/sdk.py, point 11), this project's own modules (our machines set PYTHONDONTWRITEBYTECODE=1:
  nothing is cached unless `make setup` compiled it) and the engine's first-run work.

Record results in BENCHMARKS.md with this command:
    .venv/bin/python benchmarks/startup_bench.py [--stack acme-prod] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Took, clock, median

from connectctl.plan import plan_stack

HELP = [[], ["plan"], ["check"], ["guardrails"], ["schema"], ["audit"], ["capacity"], ["diagram"], ["diff"],
        ["new"], ["scan"], ["stacks"], ["dr"], ["dr", "verify"], ["fleet"], ["fleet", "preview"]]
NOT_PLANNING = [["schema"], ["guardrails"], ["guardrails", "--by-control"], ["stacks"]]
NEW_CLIENT = ["new", "newco", "--account-id", "333333333333", "--region", "us-east-1", "--dr-region", "us-west-2",
              "--cidr", "10.50.0.0/16"]  # into a fresh --dir each time: it refuses to overwrite
TARGET_START, TARGET_RATIO = 0.5, 2.5


def run(args: list[str]) -> Took:
    """One `python -m connectctl ARGS` process: wall, and the CPU (user + system) it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "connectctl", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    took = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"connectctl {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Took(took, cpu)


def runs(args: list[str], repeat: int) -> Took:
    """Median of `repeat` processes."""
    return median([run(args) for _ in range(repeat)])


def row(label: str, took: Took, target: float | None = None) -> str:
    mark = "" if target is None else ("  ok" if took.wall < target else f"  OVER {target:g} s")
    return f"{label:<42} {took.wall:6.3f} s wall  {took.cpu:6.3f} s CPU{mark}"


def main() -> None:
    """Print the three tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="acme-prod")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}; "
          f"project bytecode {'present' if any(Path(ROOT, 'connectctl', '__pycache__').glob('*.pyc')) else 'absent'}")
    print(f"\n--help (median of {args.repeat} processes)")
    for command in HELP:
        print(row(" ".join(["connectctl", *command, "--help"]), runs([*command, "--help"], args.repeat), TARGET_START))
    print(f"\ncommands that do not plan (median of {args.repeat} processes)")
    for command in NOT_PLANNING:
        print(row(" ".join(["connectctl", *command]), runs(command, args.repeat), TARGET_START))
    with tempfile.TemporaryDirectory() as scratch:
        made = median([run([*NEW_CLIENT, "--dir", f"{scratch}/{i}"]) for i in range(args.repeat)])
    print(row("connectctl new newco ... --dir DIR", made, TARGET_START))

    plan_stack(args.stack)  # warm-up: imports, the provider schema cache, the pack
    in_process: list[Took] = []
    processes: list[Took] = []
    for _ in range(args.repeat):  # alternated: both see the same load
        processes.append(run(["plan", args.stack]))
        with clock(in_process):
            plan_stack(args.stack)
    inner, outer = median(in_process), median(processes)
    ratio = outer.wall / inner.wall
    print(f"\n`connectctl plan {args.stack}`: a process of its own against the same plan in this process "
          f"(median of {args.repeat}, alternated)")
    print(row(f"connectctl plan {args.stack} (process)", outer))
    print(row(f"plan_stack({args.stack!r}) (in process, warm)", inner))
    spread = statistics.pstdev(t.wall for t in processes)
    verdict = "ok" if ratio <= TARGET_RATIO else f"OVER {TARGET_RATIO}x"
    print(f"process / in-process: {ratio:.2f}x wall ({outer.cpu / inner.cpu:.2f}x CPU), target <= {TARGET_RATIO}x: "
          f"{verdict}; process wall spread (stdev) {spread:.3f} s")


if __name__ == "__main__":
    main()
