"""A seeded corpus of bad (and accidentally good) stack files, derived from the committed ones.

Families, each a share of the corpus (see `FAMILIES`):

- `struct:*`: the committed file parsed, one node changed (deleted, retyped, out-of-range number,
  malformed CIDR/ARN/account id, unicode, renamed key, extra key, list surgery, `secure:` where no
  secret belongs, two values swapped, one object aliased elsewhere, or several of these), dumped again;
- `text:*`: the committed file's text cut, re-indented, tabbed, a line doubled or dropped, a YAML token
  inserted, its line endings changed;
- `yaml:*`: anchors, aliases and merge keys (valid and not), alias bombs of several widths and depths,
  self-containing anchors, deep nesting, tags PyYAML cannot construct, duplicated keys (also across
  the `tenant` / `connect:tenant` spellings), double-quoted escapes (NUL, surrogates...);
- `root:*`: empty files, non-mapping roots, `config:` of the wrong type, directives, several documents;
- `huge:*`: 1 MB values and keys, long lists; `bytes:*`: binary garbage, other encodings, a BOM.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from connectctl.engine.project import PROJECT_ROOT
from tests.fuzz.harness import FuzzCase
from tests.fuzz.mutations import (
    ACCOUNT_IDS,
    ARNS,
    CIDRS,
    NUMBERS,
    RETYPES,
    UNICODE,
    YAML_ESCAPES,
    Path_,
    garbage,
    get,
    is_number,
    leaves,
    mutate_list,
    mutate_text,
    node_paths,
    put,
    remove,
    typo,
)

SEED = 20261127
STACKS = ("acme-prod", "acme-staging", "acme-account", "globex-prod", "globex-account")
# How many cases each family contributes (the corpus is their concatenation, then shuffled once).
FAMILIES = {"struct": 1500, "text": 500, "bytes": 30}  # plus the fixed lists of yaml:, root: and huge: cases
COMMANDS = (  # the CLI entry points that read a stack file; most cases go through the first
    ("plan", "--config-file", "{path}"),
    ("check", "--config-file", "{path}", "--format", "json"),
    ("plan", "--config-file", "{path}", "--format", "json", "--no-preview"),
)
MARK = "FUZZMARK{}Z"  # a plain scalar: the dumper writes it bare

# libyaml when present: ~10x faster to build the corpus, same documents (the product parses with PyYAML).
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class StackCase(FuzzCase):
    """One file for the loader: where it came from, how it was made, its bytes, and the command to run."""

    base: str
    command: tuple[str, ...]

    @property
    def name(self) -> str:
        """`0042-struct:retype-acme-prod`: enough to rebuild and rerun one case."""
        return f"{super().name}-{self.base}"


@cache
def committed(stack: str) -> str:
    """The committed stack file's text."""
    return (PROJECT_ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")


@cache
def _parsed(stack: str) -> Any:
    return yaml.load(committed(stack), Loader=_LOADER)


def parsed(stack: str) -> Any:
    """A fresh copy of the committed stack file's document."""
    return copy.deepcopy(_parsed(stack))


def dump(doc: Any) -> str:
    """YAML text of `doc`; lone surrogates force the pure-Python emitter (it escapes them)."""
    try:
        return yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=4096)
    except (UnicodeEncodeError, yaml.YAMLError):
        return yaml.dump(doc, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=4096)


def _config_paths(doc: dict[str, Any]) -> list[Path_]:
    return [("config", *p) for p in node_paths(doc["config"])]


def _struct(doc: dict[str, Any], rng: random.Random, kind: str, marks: dict[str, str]) -> str:
    """Apply one structural mutation of family `kind` to `doc` in place; returns the kind applied."""
    paths = _config_paths(doc)
    path = rng.choice(paths)
    if kind == "delete":
        remove(doc, path)
    elif kind == "retype":
        put(doc, path, copy.deepcopy(rng.choice(RETYPES)))
    elif kind == "number":
        numeric = leaves(doc, ("config",), is_number) or paths
        put(doc, rng.choice(numeric), rng.choice(NUMBERS))
    elif kind == "cidr":
        cidrs = leaves(doc, ("config",), lambda v: isinstance(v, str) and "/" in v and v[:1].isdigit()) or paths
        put(doc, rng.choice(cidrs), rng.choice(CIDRS))
    elif kind == "arn":
        arns = leaves(doc, ("config",), lambda v: isinstance(v, str) and v.startswith("arn:")) or paths
        put(doc, rng.choice(arns), rng.choice(ARNS))
    elif kind == "account":
        put(doc, ("config", "connect:tenant", "accountId"), rng.choice(ACCOUNT_IDS))
    elif kind == "unicode":
        strings = leaves(doc, ("config",), lambda v: isinstance(v, str)) or paths
        target = rng.choice(strings)
        value = rng.choice(UNICODE)
        current = get(doc, target)
        put(doc, target, rng.choice([value, f"{current}{value}", f"{value}{current}"]))
    elif kind == "escape":
        marker = MARK.format(len(marks))
        marks[marker] = rng.choice(YAML_ESCAPES)
        strings = leaves(doc, ("config",), lambda v: isinstance(v, str)) or paths
        put(doc, rng.choice(strings), marker)
    elif kind == "rename":
        keyed = [p for p in paths if isinstance(p[-1], str)]
        target = rng.choice(keyed)
        parent = get(doc, target[:-1])
        new_key = typo(str(target[-1]), rng) if rng.random() < 0.8 else rng.choice(UNICODE[:12])
        parent[new_key] = parent.pop(target[-1])
    elif kind == "extra-key":
        mappings = [p for p in [("config",), *paths] if isinstance(get(doc, p), dict)]
        target = get(doc, rng.choice(mappings))
        target[rng.choice(["extra", "Name", "connect:extra", "aws:profile", "", "1", "secure", "<<", "cidr",
                           "connect:network"])] = copy.deepcopy(rng.choice(RETYPES))
    elif kind == "list":
        lists = [p for p in paths if isinstance(get(doc, p), list)] or paths
        target = rng.choice(lists)
        current = get(doc, target)
        put(doc, target, mutate_list(current if isinstance(current, list) else [current], rng))
    elif kind == "secure":
        put(doc, path, rng.choice([{"secure": "v1:Zm9vYmFy"}, {"secure": 1}, {"secure": None}, {"secure": ["x"]},
                                   {"secure": "v1:x", "other": 1}, {"secure": {"secure": "v1:x"}}]))
    elif kind == "swap":
        other = rng.choice(paths)
        if other[: len(path)] != path and path[: len(other)] != other:
            first, second = copy.deepcopy(get(doc, path)), copy.deepcopy(get(doc, other))
            put(doc, path, second)
            put(doc, other, first)
    elif kind == "alias":
        containers = [p for p in paths if isinstance(get(doc, p), dict | list)]
        if containers:
            source = rng.choice(containers)
            other = rng.choice(paths)
            if source[: len(other)] != other and other[: len(source)] != source:
                put(doc, other, get(doc, source))  # the same object twice: the dumper writes &id001 / *id001
    return kind


STRUCT_KINDS = {"delete": 15, "retype": 20, "number": 10, "cidr": 6, "arn": 6, "account": 3, "unicode": 8,
                "escape": 4, "rename": 6, "extra-key": 5, "list": 6, "secure": 5, "swap": 4, "alias": 3, "combo": 8}


def _struct_case(rng: random.Random, base: str) -> tuple[str, str]:
    doc = parsed(base)
    kind = rng.choices(list(STRUCT_KINDS), weights=list(STRUCT_KINDS.values()))[0]
    marks: dict[str, str] = {}
    if kind == "combo":
        for _ in range(rng.randint(2, 4)):
            _struct(doc, rng, rng.choice([k for k in STRUCT_KINDS if k != "combo"]), marks)
    else:
        _struct(doc, rng, kind, marks)
    text = dump(doc)
    for marker, escape in marks.items():
        text = text.replace(f"'{marker}'", escape).replace(marker, escape)
    return f"struct:{kind}", text


SMALL = """\
config:
  aws:region: us-east-1
  connect:tenant: &tenant
    client: acme
    environment: dev
    accountId: "111111111111"
    drRegion: us-west-2
  connect:network: &network
    cidr: 10.44.0.0/16
    availabilityZones: 2
    natGateways: single
"""


def _bomb(width: int, depth: int, where: str) -> str:
    rows = [f"  connect:lol0: &a0 [{', '.join(['lol'] * width)}]"]
    rows += [f"  connect:lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth)]
    text = SMALL + "\n".join(rows) + "\n"
    last = f"*a{depth - 1}"
    if where == "services":
        text += f"  connect:services: {last}\n"
    elif where == "client":
        text = text.replace("client: acme", f"client: {last}")  # an alias before its anchor: undefined
    elif where == "merge":
        text += f"  connect:dr:\n    <<: {{x: {last}}}\n"
    elif where == "top":
        text += f"other: {last}\n"
    return text


def _yaml_cases(rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, base, text) for anchors, aliases, merges, bombs, nesting, tags, duplicates."""
    cases: list[tuple[str, str, str]] = []
    merge_ok = SMALL + "  connect:dr:\n    mode: backup-restore\n    backup:\n      <<: {retentionDays: 35}\n" \
        "      copyRetentionDays: 35\n"
    cases += [
        ("yaml:merge-valid", "small", merge_ok),
        ("yaml:merge-override", "small", SMALL.replace("    natGateways: single\n", "    natGateways: single\n"
                                                       "    <<: {natGateways: perAz, cidr: 10.45.0.0/16}\n")),
        ("yaml:merge-list", "small", SMALL + "  connect:dr:\n    <<: [*network, *tenant]\n"),
        ("yaml:merge-scalar", "small", SMALL + "  connect:dr:\n    <<: 1\n"),
        ("yaml:merge-unknown-keys", "small", SMALL + "  connect:dr:\n    <<: *tenant\n"),
        ("yaml:alias-section", "small", SMALL + "  connect:dr: *network\n"),
        ("yaml:alias-tenant-as-network", "small", SMALL.replace("connect:network: &network", "connect:other:")
         + "  connect:network: *tenant\n"),
        ("yaml:alias-undefined", "small", SMALL + "  connect:dr: *nowhere\n"),
        ("yaml:alias-as-key", "small", SMALL + "  *tenant : x\n"),
        ("yaml:anchor-twice", "small", SMALL + "  connect:dr: &network {mode: pilot-light}\n"
         "  connect:data: *network\n"),
        ("yaml:self-list", "small", SMALL + "  connect:services: &s [*s]\n"),
        ("yaml:self-map", "small", SMALL + "  connect:dr: &d {backup: *d}\n"),
        ("yaml:self-config", "small", "config: &c\n  connect:x: *c\n"),
        ("yaml:self-root", "small", "&r {config: *r}\n"),
        ("yaml:self-merge", "small", SMALL + "  connect:dr: &d\n    <<: *d\n"),
        ("yaml:dup-top", "small", SMALL + "config: {}\n"),
        ("yaml:dup-config", "small", SMALL + "  aws:region: eu-west-1\n"),
        ("yaml:dup-nested", "small", SMALL + "    cidr: 10.50.0.0/16\n"),
        ("yaml:dup-flow", "small", SMALL + "  connect:dr: {mode: pilot-light, mode: warm-standby}\n"),
        ("yaml:dup-namespace", "small", SMALL + "  tenant: {client: acme}\n"),
        ("yaml:dup-namespace-network", "small", SMALL + "  network: {cidr: 10.44.0.0/16}\n"),
        ("yaml:dup-int-string", "small", SMALL + "  1: x\n  '1': y\n"),
        ("yaml:dup-null", "small", SMALL + "  ~: x\n  null: y\n"),
        ("yaml:dup-bool", "small", SMALL + "  yes: x\n  true: y\n"),
        ("yaml:dup-merge-then-key", "small", SMALL + "  connect:dr:\n    <<: {mode: pilot-light}\n    mode: x\n"
         "    mode: y\n"),
        ("yaml:complex-key", "small", SMALL + "  ? [a, b]\n  : x\n"),
        ("yaml:complex-key-map", "small", SMALL + "  ? {a: b}\n  : x\n"),
        ("yaml:alias-to-complex-key", "small", SMALL + "  ? *network\n  : x\n"),
    ]
    for width in range(2, 10):
        for depth in (3, 4, 6, 8, 12):
            where = rng.choice(["unknown", "services", "merge", "top", "client"])
            cases.append((f"yaml:bomb-{where}", "small", _bomb(width, depth, where)))
    for depth in (50, 500, 2000, 10_000):
        cases.append(("yaml:deep-flow-list", "small", SMALL + "  connect:x: " + "[" * depth + "]" * depth + "\n"))
        nested = "{a: " * depth + "1" + "}" * depth
        cases.append(("yaml:deep-flow-map", "small", SMALL + "  connect:x: " + nested + "\n"))
    for depth in (20, 200, 800):
        block = "".join(f"{'  ' * (i + 2)}a{i}:\n" for i in range(depth)) + f"{'  ' * (depth + 2)}b: 1\n"
        cases.append(("yaml:deep-block", "small", SMALL + "  connect:deep:\n" + block))
    tags = ["!!int x", "!!int 0x", "!!float x", "!!bool maybe", "!!null x", "!!binary '%%'", "!!binary aGVsbG8=",
            "!!set {a, b}", "!!omap [a]", "!!omap [{a: 1}, {a: 2}]", "!!pairs x", "!!timestamp [1]", "!!str [1]",
            "!!map [1]", "!!seq {a: 1}", "!!merge x", "!!value x", "!!yaml x", "!custom x", "!<tag:x> y",
            "!<tag:yaml.org,2002:int> 3", "!!python/object/apply:os.system ['true']", "!!python/name:os.system",
            "!!str 10.44.0.0/16", "!!int '3'", "!!float '2'", "!!int " + "9" * 5000, "!!float 1e99999",
            "!!int 0b" + "1" * 20_000, "9" * 5000, "!!int 1:2:3", "!!timestamp 2024-01-01", "! x", "!! x"]
    for tag in tags * 2:
        where = rng.choice(["    cidr: {}", "    client: {}", "    availabilityZones: {}", "  connect:dr: {}"])
        line = where.format(tag)
        key = line.split(":")[0]
        lines = [row for row in SMALL.splitlines() if not row.startswith(key + ":")]
        cases.append(("yaml:tag", "small", "\n".join(lines) + "\n" + line + "\n"))
    escapes = ['"\\0"', '"\\x07"', '"\\uD800"', '"\\uDFFF"', '"\\U0001F680"', '"\\e[31m"', '"\\N\\L\\P"', '"\\_"',
               '"\\x00\\x00"', '"\\udbff\\udfff"', '"10.44.0.0/16\\0"', '"acme\\u202e"']
    for escape in escapes * 2:
        field = rng.choice(["cidr", "client", "drRegion", "accountId", "natGateways"])
        text = "\n".join(row if not row.strip().startswith(f"{field}:") else row.split(":")[0] + f": {escape}"
                         for row in SMALL.splitlines()) + "\n"
        cases.append(("yaml:escape", "small", text))
    return cases


ROOTS = [
    "", " ", "\n", "\n\n\n", "# only a comment\n", "---\n", "...\n", "---\n...\n", "- a\n- b\n", "42\n", "null\n",
    "~\n", "'text'\n", "[]\n", "{}\n", "config:\n", "config: []\n", "config: 1\n", "config: {}\n", "config: ~\n",
    "config: 'x'\n", "config: true\n", "config: !!binary aGk=\n", "!!set {a, b}\n", "? [a]\n: b\n", "&a [*a]\n",
    "*a\n", "%YAML 1.2\n---\nconfig: {}\n", "%TAG ! tag:x,2000:\n---\n!a {}\n", "%YAML 2.0\n---\n{}\n",
    "%FOO bar\n---\nconfig: {}\n", "config:\n  aws:region: us-east-1\n", "secretsprovider: x\n",
    "encryptedkey: 1\n", "environment: [a]\n", "Config: {}\n", "config: {}\nconfig: {}\n",
    "config: {}\n---\nconfig: {}\n", "---\n---\n", "config: {}\n...\n---\nother: 1\n", "\ufeff", "\ufeffconfig:\n",
    "config: [\n", "config: {a: 1\n", "config:\n  - a\n  b: c\n",
]


def _huge_cases(rng: random.Random) -> list[tuple[str, str, str]]:
    mega = "x" * 1_000_000
    cases: list[tuple[str, str, str]] = []
    for base in ("acme-prod", "acme-account", "globex-prod"):
        doc = parsed(base)
        strings = leaves(doc, ("config",), lambda v: isinstance(v, str))
        put(doc, rng.choice(strings), mega)
        cases.append(("huge:value", base, dump(doc)))
    doc = parsed("acme-prod")
    doc["config"]["connect:tenant"][mega] = 1
    cases.append(("huge:key", "acme-prod", dump(doc)))
    doc = parsed("acme-prod")
    doc["config"]["connect:" + "k" * 100_000] = 1
    cases.append(("huge:config-key", "acme-prod", dump(doc)))
    doc = parsed("acme-account")
    doc["config"]["connect:registry"]["repositories"] = [f"repo-{i}" for i in range(3_000)]
    cases.append(("huge:list", "acme-account", dump(doc)))
    doc = parsed("acme-prod")
    doc["config"]["connect:services"] = doc["config"]["connect:services"] * 300
    cases.append(("huge:services", "acme-prod", dump(doc)))
    doc = parsed("acme-prod")
    doc["config"]["connect:services"][0]["environment"] = {f"VAR_{i}": "v" * 100 for i in range(5000)}
    cases.append(("huge:environment", "acme-prod", dump(doc)))
    cases.append(("huge:line", "acme-prod", committed("acme-prod").replace("# yaml", "#" + " " * 1_000_000 + "yaml")))
    cases.append(("huge:number", "acme-prod", committed("acme-prod").replace("retentionDays: 365",
                                                                             "retentionDays: " + "9" * 4000)))
    return cases


def _bytes_cases(rng: random.Random) -> list[tuple[str, str, bytes]]:
    cases: list[tuple[str, str, bytes]] = []
    for size in (1, 2, 3, 16, 64, 256, 1024, 4096):
        cases.append(("bytes:garbage", "acme-prod", garbage(rng, size)))
    for _ in range(8):
        raw = committed(rng.choice(STACKS)).encode()
        at = rng.randrange(len(raw))
        cases.append(("bytes:spliced", "acme-prod", raw[:at] + garbage(rng, rng.randint(1, 8)) + raw[at:]))
    for encoding in ("utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"):
        text = committed("acme-staging").replace("client: acme", "client: acm\u00e9")
        cases.append((f"bytes:{encoding}", "acme-staging", text.encode(encoding)))
    for base in ("acme-staging", "acme-account"):
        cases.append(("bytes:bom", base, b"\xef\xbb\xbf" + committed(base).encode()))
        cases.append(("bytes:double-bom", base, b"\xef\xbb\xbf\xef\xbb\xbf" + committed(base).encode()))
        cases.append(("bytes:nul-tail", base, committed(base).encode() + b"\x00"))
        cases.append(("bytes:overlong", base, committed(base).encode().replace(b"acme", b"ac\xc0\xafme", 1)))
    cases.append(("bytes:lone-surrogate", "acme-staging", committed("acme-staging").encode()
                  .replace(b"client: acme", b"client: \xed\xa0\x80", 1)))
    while len(cases) < FAMILIES["bytes"]:
        cases.append(("bytes:garbage", "acme-prod", garbage(rng, rng.randint(1, 512))))
    return cases[: FAMILIES["bytes"]]


@cache
def stack_corpus(seed: int = SEED) -> tuple[StackCase, ...]:
    """Every case, in a fixed shuffled order (so any slice mixes the families)."""
    rng = random.Random(seed)
    raw: list[tuple[str, str, bytes]] = []
    for _ in range(FAMILIES["struct"]):
        base = rng.choice(STACKS)
        kind, text = _struct_case(rng, base)
        raw.append((kind, base, text.encode("utf-8", "surrogatepass")))
    for _ in range(FAMILIES["text"]):
        base = rng.choice(STACKS)
        kind, text = mutate_text(committed(base), rng)
        raw.append((f"text:{kind}", base, text.encode("utf-8", "surrogatepass")))
    raw += [(kind, base, text.encode("utf-8", "surrogatepass")) for kind, base, text in _yaml_cases(rng)]
    raw += [("root:shape", "acme-prod", text.encode("utf-8")) for text in ROOTS]
    raw += [(kind, base, text.encode("utf-8")) for kind, base, text in _huge_cases(rng)]
    raw += _bytes_cases(rng)
    rng.shuffle(raw)
    return tuple(
        StackCase(index=index, kind=kind, data=data, base=base,
                  command=COMMANDS[0] if index % 10 < 8 else COMMANDS[1 + index % 2])
        for index, (kind, base, data) in enumerate(raw)
    )
