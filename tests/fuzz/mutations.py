"""Seeded mutations of nested data (parsed YAML or JSON) and of raw text, shared by both fuzzers.

Everything draws from a `random.Random` the caller seeds, so a corpus is the same on every machine and
every run; a failing case is named by its index and mutation and can be rebuilt alone.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

Path_ = tuple[str | int, ...]

# Values of every JSON/YAML type, for "wrong type" mutations.
RETYPES: list[Any] = [
    "", "x", "true", "null", "0", "10", 0, 1, -1, 7, 1.5, -0.0, True, False, None, [], {}, ["x"], [1, 2], [None],
    [[]], {"x": 1}, {"": None}, {"secure": "v1:abc"},
]
# Numbers outside any range, or of the wrong kind.
NUMBERS: list[Any] = [
    -1, 0, 1, -0.0, 0.5, 1.5, 2.0, 10**30, -(10**30), 2**31, 2**31 - 1, 2**32, 2**63, 2**64, 65535, 65536, 1e308,
    -1e308, 5e-324, float("nan"), float("inf"), float("-inf"), True, False, "10", "1e3", "0x10", 3.0000001, 99999,
]
CIDRS = [
    "10.0.0.0/33", "10.0.0/16", "::1/64", " 10.0.0.0/16", "10.0.0.0/16 ", "10.0.0.0/-1", "10.0.0.0/", "/16",
    "10.0.0.0/16/16", "300.0.0.0/16", "10.0.0.0/0x10", "10.0.0.0/\uff11\uff16", "10.0.0.0\n/16", "fe80::/10",
    "0.0.0.0/0", "10.40.0.1/16", "10.40.0.0/8", "8.8.8.0/24", "10.040.0.0/16", "10.40.0.0/016", "10.40.0.0/16\t",
    "10.40.0.0/16\u200b", "10.40.0.0", "10.40.0.0/16,10.41.0.0/16", "169.254.0.0/30", "192.168.0.0/24",
    "100.64.0.0/10", "\u0661\u0660.0.0.0/16", "10.0.0.0/24", "10.0.0.0/16\n",
]
ARNS = [
    "arn:aws:iam::11111111111:role/x", "arn:aws:iam::111111111111:user/x", "arn:aws:iam::111111111111:role/",
    "arn:aws:acm:us-east-1:111111111111:certificate/", "arn:aws", "arn::::",
    "arn:aws:iam::111111111111:role/" + "r" * 90,
    "arn:aws:iam::\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11:role/x",
    "arn:aws:secretsmanager:us-east-1:222222222222:secret:x", "arn:aws:acm:mars-1:111111111111:certificate/x",
    "ARN:AWS:IAM::111111111111:ROLE/X", "arn:aws-cn:iam::111111111111:role/x", "arn:aws:iam::111111111111:role/x\n",
    "arn:aws:acm:us-east-1:999999999999:certificate/0d7e3c1a-5b2f-4c8e-9a61-3f2b7c9d1e40",
    "arn:aws:acm:us-west-2:111111111111:certificate/0d7e3c1a-5b2f-4c8e-9a61-3f2b7c9d1e40",
    "arn:aws:ssm:us-east-1:111111111111:parameter/", "arn:aws:secretsmanager:us-east-1:111111111111:secret:*",
    " arn:aws:iam::111111111111:role/x", "arn:aws:iam::111111111111:role/a b",
]
ACCOUNT_IDS: list[Any] = [
    "11111111111", "1111111111111", "11111111111a", 111111111111, 11111111111.0, "\u0661" * 12, "111111111111\n",
    " 111111111111", "000000000000", "-11111111111", "1111 1111 1111", "111-111-111-111", "", "0x1A2B3C4D5E6F",
]
UNICODE = [
    "\u202eetad-lif", "\U0001f680", "\U0001f680\U0001f680\U0001f680", "caf\u00e9", "\uff41\uff43\uff4d\uff45",
    "\u200b", "a\u200bb", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u05e2\u05d1\u05e8\u05d9\u05ea",
    "e\u0301", "\u0130stanbul", "stra\u00dfe", "\U0001d51e\U0001d520\U0001d52a\U0001d522", "\u2028", "\u00a0",
    "\t", "line\nbreak", "\r\n", "\\", "'", '"', "`", "${x}", "%s%s%n", "<script>", "[bold]markup[/]", "\x7f",
    "\u0085", "\ufffd", "\ufeffbom", "NUL\x00byte", "bell\x07", "\x1b[31mred", "\ud800", "\udfff", "a\ud83d",
]
# Characters that only survive as YAML double-quoted escapes (written into the text after dumping).
YAML_ESCAPES = ['"\\0"', '"\\x07"', '"\\e"', '"\\uD800"', '"\\uDFFF"', '"\\N"', '"\\L"', '"\\P"', '"\\_"',
                '"a\\x00b"', '"\\U0001F680"', '"\\t\\r\\n"']


def node_paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every path below `value`: mapping keys and list indices, depth first."""
    found: list[Path_] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found += node_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found += node_paths(item, (*prefix, index))
    return found


def get(doc: Any, path: Path_) -> Any:
    """The value at `path`."""
    for part in path:
        doc = doc[part]
    return doc


def put(doc: Any, path: Path_, value: Any) -> None:
    """Replace the value at `path` (which exists)."""
    get(doc, path[:-1])[path[-1]] = value


def remove(doc: Any, path: Path_) -> None:
    """Delete the key or list item at `path`."""
    del get(doc, path[:-1])[path[-1]]


def leaves(doc: Any, base: Path_, accept: Callable[[Any], bool]) -> list[Path_]:
    """Paths under `base` whose value passes `accept`."""
    return [base + p for p in node_paths(get(doc, base)) if accept(get(doc, base + p))]


def is_number(value: Any) -> bool:
    """An int or float, not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def typo(key: str, rng: random.Random) -> str:
    """A misspelling of `key`: a letter dropped, doubled, swapped or re-cased, or a suffix."""
    if not key:
        return "x"
    at = rng.randrange(len(key))
    choices = [
        key[:at] + key[at + 1:], key[:at] + key[at] + key[at:], key.upper(), key.lower(), key + "s", key + " ",
        " " + key, key.replace("Id", "ID"), key[:at] + "\u00e9" + key[at + 1:],
    ]
    if len(key) > 1 and at < len(key) - 1:
        choices.append(key[:at] + key[at + 1] + key[at] + key[at + 2:])
    return rng.choice([c for c in choices if c != key] or [key + "x"])


def mutate_list(items: list[Any], rng: random.Random) -> Any:
    """A list emptied, shortened, repeated, duplicated, unwrapped or nested."""
    choice = rng.randrange(7)
    if choice == 0:
        return []
    if choice == 1 and items:
        return items[:-1]
    if choice == 2 and items:
        return [*items, copy.deepcopy(items[0])]
    if choice == 3:
        return [copy.deepcopy(items[0]) if items else None for _ in range(60)]
    if choice == 4 and items:
        return copy.deepcopy(items[0])
    if choice == 5:
        return [items]
    return list(reversed(items))


def mutate_text(text: str, rng: random.Random) -> tuple[str, str]:
    """One textual mutation of a file; returns (kind, new text)."""
    lines = text.split("\n")
    line = rng.randrange(len(lines))
    offset = rng.randrange(len(text) + 1)
    kind = rng.choice(["truncate", "tab", "dup-line", "drop-line", "indent", "insert", "crlf", "swap-lines",
                       "splice"])
    if kind == "truncate":
        return kind, text[:offset]
    if kind == "tab":
        stripped = lines[line].lstrip(" ")
        lines[line] = "\t" * max(1, (len(lines[line]) - len(stripped)) // 2) + stripped
    elif kind == "dup-line":
        lines.insert(line, lines[line])
    elif kind == "drop-line":
        del lines[line]
    elif kind == "indent":
        lines[line] = (" " * rng.randint(1, 3) + lines[line]) if rng.random() < 0.5 else lines[line][1:]
    elif kind == "insert":
        token = rng.choice([":", ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "*nope", "!!int ", "!!str ",
                            "!foo ", "%", "@", "`", "|", ">", "#", "'", '"', "? ", "<<: ", "\t", "\x00", "\x7f",
                            "\u2028", "\ufeff", "\\", "---\n", "...\n", "\n", "  ", "\U0001f680", "&a &b ",
                            "!!binary ", "!!python/object/apply:os.system ['true'] "])
        return kind, text[:offset] + token + text[offset:]
    elif kind == "crlf":
        return kind, text.replace("\n", rng.choice(["\r\n", "\r", "\u2028", "\x85"]))
    elif kind == "swap-lines":
        other = rng.randrange(len(lines))
        lines[line], lines[other] = lines[other], lines[line]
    else:
        end = min(len(text), offset + rng.randint(1, 200))
        return kind, text[:offset] + text[end:]
    return kind, "\n".join(lines)


def garbage(rng: random.Random, size: int) -> bytes:
    """Random bytes (mostly not UTF-8)."""
    return bytes(rng.randrange(256) for _ in range(size))
