"""`docs/stack-file.md`, the stack-file reference, is generated from the models and kept current."""

from __future__ import annotations

from pathlib import Path

from components.config import CONNECT_KEYS, StackConfig
from connectctl.stack_docs import stack_file_reference

ROOT = Path(__file__).resolve().parents[2]


def test_committed_page_is_current() -> None:
    committed = (ROOT / "docs" / "stack-file.md").read_text()
    assert committed == stack_file_reference(), \
        "run `make docs` (python -m connectctl.stack_docs > docs/stack-file.md) to refresh docs/stack-file.md"


def test_every_section_and_key_is_documented() -> None:
    page = stack_file_reference()
    for key in ("aws:region", *CONNECT_KEYS):
        assert f"\n## {key}\n" in page
    for section in ("connect:tenant", "connect:network", "connect:dr"):
        model = StackConfig.model_fields[section.split(":")[1]].annotation
        model = next(arg for arg in (model, *getattr(model, "__args__", ())) if hasattr(arg, "model_fields"))
        for field in model.model_fields.values():
            assert f"| `{field.alias}` |" in page, (section, field.alias)


def test_rows_carry_type_default_bounds_and_an_example() -> None:
    page = stack_file_reference()
    assert "| `warmStandbyBase` | integer | `1` | 1 to 10 | Tasks per service in warm standby (1-10). |" in page
    assert "| `[].capacity.base` | integer | *required* | 1 to 1000 |" in page
    assert "From `stacks/Pulumi.acme-prod.yaml`" in page and "From `stacks/Pulumi.acme-account.yaml`" in page
    assert page.count("### Example") == 1 + len(CONNECT_KEYS)
