"""The deployed program stands alone: nothing in components/ (or `__main__.py`) imports connectctl or the pack.

Why: `pulumi up` runs the program with the project's requirements; the command-line tool and the policy pack are
beside it, and a dependency on them would make the program run code it does not need (and `connectctl`'s
imports) on every deployment.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ("connectctl", "connect_guardrails", "policies", "tests")


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
    return found


def test_the_program_imports_nothing_from_the_tool_the_pack_or_the_tests() -> None:
    program = [*sorted((ROOT / "components").rglob("*.py")), ROOT / "__main__.py"]
    used = [f"{path.relative_to(ROOT)}: {name}" for path in program for name in _imports(path)
            if name.split(".")[0] in OUTSIDE]
    assert used == []
    assert len(program) > 20  # the walk saw the program
