"""The command samples of README.md and docs/*.md, regenerated from the commands they show.

Why: a sample pasted by hand goes stale the day the program changes (the `capacity --all` sample showed one KMS
key per account stack long after there were two). Every sample sits between markers that name its command:

    <!-- sample: connectctl capacity --all -->
    ```text
    $ connectctl capacity --all
    ...the command's output...
    ```
    <!-- /sample -->

`python -m connectctl.samples` rewrites every such block (and the generated files in `FILES`) from the command's
output, run in this process as the CLI runs it when its output is not a terminal (no colours, the CLI's fixed
widths); `--check` only lists the stale ones (exit 1), and tests/connectctl/test_samples.py fails the same way.
Samples are deterministic: plans are, the clock is fixed (`CONNECT_NOW`) and no command prints a timing.

A marker may add clauses after the command, separated by `; `:

- `edit "TEXT" -> "NEW"`: the sample shows a change to the stack file (`connectctl diff STACK --base REV` with the
  working tree edited): the committed stack file is the base, a copy with the edit the working tree;
- `keep N[, NAME...]`: a long listing abridged: the first N entries of each section and those named, each run of
  left-out entries shown as `  ...`.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from connectctl.engine.project import PROJECT_ROOT

DOCUMENTS = ("README.md", "docs/*.md")
FILES = {"docs/diagram-acme-prod.mmd": "connectctl diagram acme-prod"}  # whole files, not Markdown blocks
FIXED_NOW = "2026-12-01T00:00:00Z"  # no sample shows the time; any command that reads the clock reads this
OPEN = re.compile(r"^<!-- sample: (?P<spec>.+?) -->\n", re.MULTILINE)
CLOSE = "<!-- /sample -->"
ELIDED = "  ..."


class SampleError(Exception):
    """A marker that cannot be regenerated (no closing marker, a bad clause, a command that fails)."""


@dataclass(frozen=True)
class Sample:
    """One marker: the command as shown, the stack-file edits of its scenario, and how to abridge its output."""

    command: str
    edits: tuple[tuple[str, str], ...] = ()
    keep: int | None = None
    also: frozenset[str] = field(default_factory=frozenset)


Runner = Callable[[Sample], str]


def parse(spec: str, where: str) -> Sample:
    """A marker's text: `connectctl ARGS[; edit "A" -> "B"][; keep N[, NAME...]]`."""
    command, *clauses = [part.strip() for part in spec.split("; ")]
    if not command.startswith("connectctl "):
        raise SampleError(f"{where}: a sample shows a `connectctl` command, not {command!r}")
    edits: list[tuple[str, str]] = []
    keep: int | None = None
    also: set[str] = set()
    for clause in clauses:
        if (edit := re.fullmatch(r'edit (".*") -> (".*")', clause)) is not None:
            edits.append((json.loads(edit.group(1)), json.loads(edit.group(2))))
        elif (kept := re.fullmatch(r"keep (\d+)((?:, [\w.-]+)*)", clause)) is not None:
            keep = int(kept.group(1))
            also |= {name.strip() for name in kept.group(2).split(",") if name.strip()}
        else:
            raise SampleError(f"{where}: unknown clause {clause!r}; allowed: edit \"TEXT\" -> \"NEW\", "
                              "keep N[, NAME...]")
    return Sample(command, tuple(edits), keep, frozenset(also))


def abridge(text: str, keep: int, also: frozenset[str] = frozenset()) -> str:
    """The first `keep` entries of each section and those named in `also`; each run of the others is `  ...`.

    A section is a line without indentation, an entry a line indented by two spaces with the lines indented more
    below it (`connectctl diff`'s text: `  +- replace NAME TYPE` and its changes).
    """
    out: list[str] = []
    count, skipping, keeping = 0, False, True
    for line in text.splitlines():
        if not line.startswith(" "):
            count, skipping, keeping = 0, False, True
            out.append(line)
            continue
        if line.startswith("  ") and not line.startswith("   "):  # an entry
            count += 1
            words = line.split()
            keeping = count <= keep or bool(also & set(words[1:3]))
            if not keeping and not skipping:
                out.append(ELIDED)
            skipping = not keeping
        if keeping:
            out.append(line)
    return "\n".join(out) + "\n"


@contextmanager
def _fixed_clock() -> Iterator[None]:
    saved = os.environ.get("CONNECT_NOW")
    os.environ["CONNECT_NOW"] = FIXED_NOW
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CONNECT_NOW", None)
        else:
            os.environ["CONNECT_NOW"] = saved


def run(sample: Sample) -> str:
    """The output the sample's command prints to a file or pipe (exit 1, findings or a blocked diff, is output too)."""
    args = shlex.split(sample.command)[1:]
    with _fixed_clock():
        output = _diff_scenario(args, sample.edits) if sample.edits else _cli(args)
    return abridge(output, sample.keep, sample.also) if sample.keep is not None else output


def _cli(args: list[str]) -> str:
    from typer.testing import CliRunner

    from connectctl.cli import app

    result = CliRunner(env={"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "COLUMNS": None}).invoke(app, args)
    failed = result.exception is not None and not isinstance(result.exception, SystemExit)
    if failed or result.exit_code not in (0, 1):
        raise SampleError(f"connectctl {' '.join(args)}: exit {result.exit_code}: {result.output.strip()[-500:]}")
    return result.stdout


def _diff_scenario(args: list[str], edits: tuple[tuple[str, str], ...]) -> str:
    """`connectctl diff STACK --base REV` with the working tree's stack file edited: the committed file planned as
    the base, an edited copy (beside the project's other stack files and pack configs) as the working tree."""
    from rich.console import Console

    from connectctl.diff import diff_plans, render_text
    from connectctl.engine.project import load_project
    from connectctl.plan import plan_stack

    if len(args) != 4 or args[0] != "diff" or args[2] != "--base":
        raise SampleError(f"connectctl {' '.join(args)}: an edit goes with `connectctl diff STACK --base REV`")
    stack, revision = args[1], args[3]
    project = load_project()
    committed = project.stack_file(stack)
    text = committed.read_text(encoding="utf-8")
    for old, new in edits:
        if old not in text:
            raise SampleError(f"{committed.name}: the sample's edit looks for {old!r}, which the file no longer has")
        text = text.replace(old, new)
    shown = str(committed.relative_to(project.root))
    with tempfile.TemporaryDirectory(prefix="connectctl-sample-") as scratch:
        for path in project.stack_config_dir.iterdir():
            if path.is_file():
                shutil.copy(path, scratch)
        edited = Path(scratch) / committed.name
        edited.write_text(text, encoding="utf-8")
        old_plan = plan_stack(stack, preview=False, project=project)
        new_plan = plan_stack(config_file=edited, preview=False, project=project)
        result = diff_plans(old_plan, new_plan, old_source=f"{shown} at {revision}",
                            new_source=f"{shown} (working tree)")  # reads both stack files again
    buffer = io.StringIO()
    render_text(result, Console(emoji=False, file=buffer, highlight=False, soft_wrap=True, color_system=None))
    return buffer.getvalue()


def block(sample: Sample, output: str) -> str:
    """The Markdown between the markers: the command and its output as a text block."""
    return f"```text\n$ {sample.command}\n{output.rstrip()}\n```\n"


def regenerate(text: str, where: str, runner: Runner = run) -> tuple[str, list[str]]:
    """The Markdown with every sample block rewritten from its command, and the markers whose block changed."""
    out: list[str] = []
    stale: list[str] = []
    position = 0
    for opened in OPEN.finditer(text):
        if opened.start() < position:
            continue
        line = text.count("\n", 0, opened.start()) + 1
        closing = text.find(CLOSE, opened.end())
        following = OPEN.search(text, opened.end())
        if closing < 0 or (following is not None and following.start() < closing):
            raise SampleError(f"{where}:{line}: <!-- sample: ... --> without its {CLOSE}")
        sample = parse(opened.group("spec"), f"{where}:{line}")
        fresh = block(sample, runner(sample))
        if text[opened.end():closing] != fresh:
            stale.append(f"{where}:{line}: {sample.command}")
        out += [text[position:opened.end()], fresh]
        position = closing
    return "".join(out) + text[position:], stale


@dataclass
class Result:
    """What a regeneration found: the new text of each file that changed, and which samples were stale."""

    texts: dict[Path, str] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)


def regenerate_all(root: Path = PROJECT_ROOT, runner: Runner = run) -> Result:
    """Every sample of README.md and docs/*.md, and every generated file of `FILES`, regenerated in memory."""
    result = Result()
    cache: dict[Sample, str] = {}

    def cached(sample: Sample) -> str:
        if sample not in cache:
            cache[sample] = runner(sample)
        return cache[sample]

    for path in sorted({path for pattern in DOCUMENTS for path in root.glob(pattern)}):
        current = path.read_text(encoding="utf-8")
        fresh, stale = regenerate(current, str(path.relative_to(root)), cached)
        if stale:
            result.texts[path] = fresh
            result.stale += stale
    for name, command in FILES.items():
        path = root / name
        output = cached(Sample(command))
        if not path.is_file() or path.read_text(encoding="utf-8") != output:
            result.texts[path] = output
            result.stale.append(f"{name}: {command}")
    return result


def main(argv: list[str] | None = None) -> int:
    """`python -m connectctl.samples [--check]`: rewrite the stale samples, or (--check) list them, exit 1."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--check"]):
        print("usage: python -m connectctl.samples [--check]", file=sys.stderr)
        return 2
    try:
        result = regenerate_all()
    except SampleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for entry in result.stale:
        print(f"{'stale' if args else 'regenerated'}: {entry}")
    if args:
        return 1 if result.stale else 0
    for path, text in result.texts.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
