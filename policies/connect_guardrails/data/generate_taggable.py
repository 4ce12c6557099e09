"""Generate `taggable_types.txt`: the pulumi-aws resource types whose constructor takes a tag map.

A type is taggable when its resource class (a `pulumi.CustomResource`) accepts a `tags` argument
typed as a `Mapping` (the AWS key/value tag map). Two `tags` arguments of another shape are left out
on purpose: `aws:autoscaling/group:Group` (a list of `{key, value, propagateAtLaunch}`) and
`aws:devopsguru/resourceCollection:ResourceCollection` (a tag filter, not the resource's tags).

pulumi_aws loads its submodules lazily and importing all of them takes long, so the source files
are read instead: each resource class's `_internal_init` signature says whether `tags` is an
argument, and its `super(<Class>, __self__).__init__('<token>', ...)` call names the type token.

Run after upgrading pulumi-aws (a test fails while the committed file is stale):

    .venv/bin/python policies/connect_guardrails/data/generate_taggable.py
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

OUTPUT = Path(__file__).with_name("taggable_types.txt")

CLASS_RE = re.compile(r"^class (\w+)\(pulumi\.CustomResource\):", re.MULTILINE)
SIGNATURE_RE = re.compile(r"def _internal_init\(__self__,(?P<params>.*?)\):\n", re.DOTALL)
TAGS_PARAM_RE = re.compile(r"^\s+tags: (?P<annotation>[^\n]*?)(?: = None)?[,)]?$", re.MULTILINE)
TOKEN_RE = r"super\({cls}, __self__\)\.__init__\(\s*'(?P<token>aws:[^']+)'"


def package_dir() -> Path:
    """The installed pulumi_aws package, found without importing it."""
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pulumi_aws is not installed in this environment")
    return Path(next(iter(spec.submodule_search_locations)))


def taggable_in(source: str) -> set[str]:
    """Tokens of the taggable resource classes defined in one module's source."""
    found: set[str] = set()
    starts = [(m.start(), m.group(1)) for m in CLASS_RE.finditer(source)]
    for index, (start, cls) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(source)
        body = source[start:end]
        signature = SIGNATURE_RE.search(body)
        token = re.search(TOKEN_RE.format(cls=re.escape(cls)), body)
        if signature is None or token is None:
            continue
        tags = TAGS_PARAM_RE.search(signature.group("params"))
        if tags is not None and "Mapping[" in tags.group("annotation"):
            found.add(token.group("token"))
    return found


def taggable_types(root: Path | None = None) -> list[str]:
    """Every taggable pulumi-aws type token, sorted."""
    root = root or package_dir()
    tokens: set[str] = set()
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if "(pulumi.CustomResource):" in source:
            tokens |= taggable_in(source)
    return sorted(tokens)


def render(tokens: list[str]) -> str:
    """The file's content: one token per line."""
    return "".join(f"{token}\n" for token in tokens)


def main() -> int:
    """Write the file next to this script."""
    tokens = taggable_types()
    OUTPUT.write_text(render(tokens), encoding="utf-8")
    print(f"{OUTPUT}: {len(tokens)} taggable types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
