"""YAML structure errors in our words: the line to fix, the field it is in, what is wrong and what to write.

PyYAML's messages name its parser's state ("expected <block end>, but found '<block mapping start>'",
"mapping values are not allowed here") and often point past the mistake: an unclosed quote or bracket is
reported where the file ends or the next key starts, a key without its colon on the line after it. `explain`
recognises each class of scanner, parser and composer error, moves the position to the line a person
edits, names the field path around it (`connect:tenant.client`, from the indentation above) and gives a hint.
What it does not recognise keeps PyYAML's words, with the same hint to check quoting and indentation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

# A block key (`  client: acme`, `- name: x`, `"a b": 1`); the key ends at the first ': ' or ':' at the end.
_KEY = re.compile(r"""^(?P<indent> *)(?P<dashes>(?:- +)*)"""
                  r"""(?P<key>"[^"]*"|'[^']*'|[^\s#'"\[\]{}&*!|>%@`,-][^#]*?|-[^\s#][^#]*?) *:(?: |$)""")
_DASH = re.compile(r"^(?P<indent> *)- ")
_TOKEN = re.compile(r"found character '(?P<char>.+)' that cannot start any token")
_ALIAS = re.compile(r"found undefined alias '(?P<name>.*)'")
_TAG = re.compile(r"could not determine a constructor for the tag '(?P<tag>.*)'")
_KINDS = re.compile(r"expected (?P<want>an? [\w ]+?)(?: node)?, but found (?P<found>\w+)")
_ESCAPE = re.compile(r"found unknown escape character '(?P<char>.*)'")
_FLOW = {"flow mapping": ("{", "}"), "flow sequence": ("[", "]")}
CHECK = "check the quoting and indentation of this line and the one above it"
MAX_KEY = 1024  # characters of a simple key (PyYAML's scanner, the YAML 1.1 limit)
MAX_PART = 40  # characters of one key shown in a field path


@dataclass(frozen=True)
class YamlProblem:
    """Where to fix a YAML structure error (1-based line and column) and what to say about it."""

    line: int
    column: int
    message: str


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _content(lines: list[str], index: int) -> bool:
    """A line that holds YAML (not blank, not only a comment)."""
    stripped = lines[index].strip() if 0 <= index < len(lines) else ""
    return bool(stripped) and not stripped.startswith("#")


def _previous(lines: list[str], index: int) -> int | None:
    """The nearest line above `index` that holds YAML."""
    return next((i for i in range(min(index, len(lines)) - 1, -1, -1) if _content(lines, i)), None)


def _quoted(lines: list[str], index: int) -> str:
    """A line's text for a message, cut short."""
    text = lines[index].strip() if 0 <= index < len(lines) else ""
    return f"`{text}`" if len(text) <= 60 else f"`{text[:60]}...`"


def _key(line: str) -> tuple[int, str] | None:
    """(column of the key, key) of a block `key:` line; a list item's key counts at its own column."""
    match = _KEY.match(line)
    if match is None:
        return None
    key = match.group("key").strip()
    if key[:1] in "\"'":
        key = key[1:-1]
    return len(match.group("indent")) + len(match.group("dashes")), key


def _opens_block(line: str) -> bool:
    """A `key:` line whose value is the indented block below it (nothing but an anchor, a tag or `|`/`>` after it)."""
    match = _KEY.match(line)
    if match is None:
        return False
    rest = line[match.end():].split(" #", 1)[0].strip()
    return not rest or rest[0] in "|>&!"


def field_path(lines: list[str], index: int) -> str:
    """The field a line is in, from the indentation above it: `connect:services[1].cpu`; "" when unknown.

    The keys (and list items) that hold the line are those above it with less indentation; the top-level
    `config` of a stack file is left out, as every message names fields below it.
    """
    if not 0 <= index < len(lines):
        return ""
    parts: list[str] = []
    own = _key(lines[index])
    limit = own[0] if own else _indent(lines[index]) if _content(lines, index) else 1 << 30
    if own:
        parts.append(own[1])
    for i in range(index - 1, -1, -1):
        if limit == 0:
            break
        if not _content(lines, i):
            continue
        line = lines[i]
        dash = _DASH.match(line)
        found = _key(line)
        if dash and len(dash.group("indent")) < limit:
            column = len(dash.group("indent"))
            position = 0  # the items of the same list above it: up to the first line left of the '- '
            for j in range(i - 1, -1, -1):
                if not _content(lines, j):
                    continue
                if _indent(lines[j]) < column:
                    break
                if _indent(lines[j]) == column and _DASH.match(lines[j]):
                    position += 1
            parts.insert(0, f"[{position}]")
            limit = column
        elif found and found[0] < limit and not dash and _opens_block(line):
            parts.insert(0, found[1])
            limit = found[0]
    if len(parts) > 1 and parts[0] == "config":
        parts.pop(0)
    path = ""
    for part in (p if len(p) <= MAX_PART else f"{p[:MAX_PART]}..." for p in parts):
        path += part if part.startswith("[") or not path else f".{part}"
    return path


def _open_indents(lines: list[str], index: int) -> list[int]:
    """The indentations of the blocks open at a line: its ancestors' keys and list items, outermost first."""
    found: list[int] = []
    limit = 1 << 30
    for i in range(index - 1, -1, -1):
        if not _content(lines, i):
            continue
        column = _indent(lines[i])
        if column < limit:
            key = _key(lines[i])
            dash = _DASH.match(lines[i])
            found.insert(0, key[0] if key else column)
            if dash and key and key[0] != column:
                found.insert(0, column)
            limit = column
        if limit == 0:
            break
    return sorted(set(found))


def _tag(tag: str) -> str:
    """`tag:yaml.org,2002:merge` as it is written: `!!merge`."""
    return f"!!{tag.removeprefix('tag:yaml.org,2002:')}" if tag.startswith("tag:yaml.org,2002:") else tag


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _spaces(columns: list[int]) -> str:
    shown = [str(c) for c in columns]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def explain(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    """The error's line and column (1-based, moved to where the fix goes) and our message with a hint."""
    lines = text.splitlines()
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    at = (mark.line, mark.column) if mark else (0, 0)
    opened = (exc.context_mark.line, exc.context_mark.column) if exc.context_mark else at
    line, column = at
    moved, what, hint = _explain(lines, problem, context, at, opened)
    if moved is not None:  # the fix goes elsewhere than PyYAML's mark
        line, column = moved
    path = field_path(lines, line)
    where = f" (in {path})" if path else ""
    return YamlProblem(line + 1, column + 1, f"{what}{where}; {hint}" if hint else f"{what}{where}")


Explained = tuple[tuple[int, int] | None, str, str]
"""(where the fix goes, when not at PyYAML's mark; what is wrong; the hint)."""


def _explain(lines: list[str], problem: str, context: str, at: tuple[int, int],
             opened: tuple[int, int]) -> Explained:
    """What is wrong and the hint, and where the fix goes when that is not PyYAML's mark."""
    line, column = at
    if problem == "mapping values are not allowed here":
        return _mapping_values(lines, line, column)
    if problem == "could not find expected ':'":
        return (opened, f"{_quoted(lines, opened[0])} is read as a key, but no ':' follows it",
                "write `key: value` (a colon and a space after the key), or `- item` for a list item")
    if problem.startswith("expected <block end>, but found "):
        return _block_end(lines, problem.removeprefix("expected <block end>, but found "), context, line, column)
    if problem == "found unexpected end of stream" and "quoted scalar" in context:
        text = lines[opened[0]] if opened[0] < len(lines) else ""
        quote = text[opened[1]] if opened[1] < len(text) else '"'
        return (opened, f"the {quote} opened here is never closed: the value runs to the end of the file",
                f"close it on the same line ({quote}...{quote})")
    flow = next((kind for kind in _FLOW if f"while parsing a {kind}" in context), None)
    if flow is not None and problem.startswith("expected ',' or "):
        start, end = _FLOW[flow]
        got = problem.split("but got ", 1)[-1]
        if got == "'<stream end>'" or line != opened[0]:
            return (opened, f"the '{start}' opened here is never closed (or one of its entries lacks its ',')",
                    f"close it with '{end}' on the same line, or write the entries as an indented block")
        return (None, f"{got} where a ',' between entries or the closing '{end}' is expected",
                f"separate the entries with ', ' (a {flow}: {start}a: 1, b: 2{end})" if flow == "flow mapping"
                else f"separate the entries with ', ' (a {flow}: {start}a, b{end})")
    if flow is not None or "flow node" in context:
        return (None, f"a {flow or 'flow value'} that does not parse here ({problem})",
                "write it as {a: 1, b: 2} or [a, b], quoting values that hold ',', ':', '{', '}', '[' or ']'")
    if (token := _TOKEN.search(problem)) is not None:
        char = token.group("char")
        if char == "\\t":
            return None, "a tab character: YAML indents with spaces only", "replace the tab with spaces"
        return (None, f"'{char}' cannot start a plain value (YAML reserves it)",
                f"quote the value ('{char}...' or \"{char}...\")")
    if (alias := _ALIAS.search(problem)) is not None:
        name = alias.group("name")
        return (None, f"*{name} refers to no anchor: an alias names an '&{name}' defined above it",
                f"define &{name} on the value to reuse, or write the value out")
    if (tag := _TAG.search(problem)) is not None:
        return (None, f"unknown tag {_tag(tag.group('tag'))}",
                "remove it: values are plain strings, numbers, booleans, lists and mappings")
    if "for merging" in problem:
        return None, "'<<' merges mappings only", "write `<<: *anchor` naming a mapping, or a list of such aliases"
    if (kinds := _KINDS.fullmatch(problem)) is not None:  # a constructor's: `!!seq {a: 1}`, `!!str [a]`
        return (None, f"a tag that does not fit its value: it wants {kinds.group('want')}, the value is a "
                f"{kinds.group('found')}", "remove the tag (values need none)")
    if "recursive node" in problem:
        return (None, "a value that contains itself (an alias inside its own anchor)",
                "write the value out instead of the alias")
    if problem.startswith("expected '<document start>'"):
        return (None, f"{_quoted(lines, line)} comes after the end of the document's top-level mapping",
                "indent it under the key it belongs to, or remove it")
    if problem.startswith("expected the node content"):
        return None, f"a value is missing here ({problem.split('but found ', 1)[-1]} instead)", CHECK
    if (escape := _ESCAPE.search(problem)) is not None:
        return (None, f"\\{escape.group('char')} is not an escape of a double-quoted value",
                "write \\\\ for a backslash, or use single quotes, which keep backslashes as they are")
    if "expected a single document" in context:
        return (None, "a second YAML document starts here ('---'): a stack file holds one",
                "remove the '---' line, and merge what follows it into the first document")
    if "block scalar" in context:
        return (None, "text after '|' or '>' on the line of a block value",
                "start the value on the next line, indented (a comment may follow '|' or '>')")
    if "anchor" in context or "alias" in context:
        return None, "an anchor (&) or alias (*) without a name", "name it with letters, digits, '-' or '_' (&common)"
    if "directive" in problem or "directive" in context or "YAML document" in problem:
        return None, "a '%' directive line, which a stack file does not need", "remove it"
    if problem.startswith("duplicated key"):
        return None, problem, "keep one of them"
    if problem.startswith("a key must be") or " cannot be read as " in problem:
        return None, problem, ""
    detail = f"{problem} ({context})" if context and problem else problem or context
    return None, f"not valid YAML here: {detail}", CHECK


def _mapping_values(lines: list[str], line: int, column: int) -> Explained:
    """`key: value` where YAML does not expect one: a continuation, a key without ':', or ': ' inside a value."""
    row = lines[line] if line < len(lines) else ""
    start = _indent(row)
    if column - start > MAX_KEY:  # YAML's scanner gives up on a simple key after 1024 characters
        return ((line, start), f"a key of {column - start:,} characters: YAML reads at most {MAX_KEY} as a key",
                "shorten it (keys are short names such as `cidr`)")
    key = _key(row)
    first = key is not None and row.find(":", key[0] + len(key[1])) == column
    previous = _previous(lines, line)
    if not first or previous is None:
        return (None, f"a second ': ' on the line: {_quoted(lines, line)}",
                "quote a value that holds ': ' (\"a: b\"), or put the nested key on a line of its own, indented "
                "under its parent")
    if _key(lines[previous]) is None and not _DASH.match(lines[previous]):
        return ((previous, _indent(lines[previous])),
                f"{_quoted(lines, previous)} has no ':' after its key, so YAML reads it and line {line + 1} as one "
                "text",
                "write `key: value` (a colon and a space after the key)")
    siblings = _spaces([c for c in _open_indents(lines, line) if c < _indent(row)][-1:] or [0])
    return ((line, _indent(row)),
            f"line {line + 1} is indented more than line {previous + 1} ({_quoted(lines, previous)}), whose key "
            "already has a value, so YAML reads it as part of that value",
            f"indent it like its sibling keys ({siblings} spaces), or, if it belongs under the key above, remove "
            "that key's value")


def _block_end(lines: list[str], found: str, context: str, line: int, column: int) -> Explained:
    """A token where the block around it ends: mostly indentation that matches no open block."""
    row = lines[line] if line < len(lines) else ""
    if found in ("'<block mapping start>'", "'?'"):
        if "block collection" in context:
            item = next((i for i in range(line - 1, -1, -1) if _DASH.match(lines[i])), None)
            items = f" (line {item + 1})" if item is not None else ""
            return ((line, _indent(row)), f"{_quoted(lines, line)} is a key at the column of the list's '- '{items}",
                    "indent it with the keys of its item, or start a new item with '- '")
        shown = _spaces([c for c in _open_indents(lines, line) if c != _indent(row)] or [0])
        return ((line, _indent(row)),
                f"line {line + 1} is indented {_plural(_indent(row), 'space')}, which matches no mapping above it "
                f"(keys above it are at {shown} spaces)",
                "keys of one mapping start in the same column: indent it like its siblings, with spaces")
    if found == "'<block sequence start>'":
        return ((line, _indent(row)), f"a list item ('- ') indented {_plural(_indent(row), 'space')}, where no key "
                "above it opens a list",
                "put the list under its key (`key:`, then `  - item`), indented more than the key")
    if found == "'-'":
        return ((line, _indent(row)), "a list item ('- ') where the mapping around it expects a key",
                "put the list under a key of its own (`key:`, then `  - item` on the lines below), or indent the "
                "item under the key it belongs to")
    if found == "'<scalar>'":
        if row[:column].rstrip().endswith(("'", '"')):
            return (None, f"text after the closing quote: {_quoted(lines, line)}",
                    "put the whole value inside the quotes")
        return None, f"text YAML cannot place: {_quoted(lines, line)}", CHECK
    if found in ("'}'", "']'"):
        return None, f"a {found} that closes nothing", "remove it, or add the '{' or '[' it should close"
    return None, f"{_quoted(lines, line)} does not fit the indentation around it ({found} where a block ends)", CHECK
