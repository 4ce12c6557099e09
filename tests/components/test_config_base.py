"""`Worded`: a bound is written once, in the Field; the friendly check reads it from there."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, Field, ValidationError

from components.config.base import Worded, amount


def test_worded_checks_with_the_fields_own_bounds_and_the_schema_keeps_them() -> None:
    class Tasks(BaseModel):
        count: Annotated[int, Field(ge=2, le=9), Worded(amount)]

    assert Tasks(count=9).count == 9
    with pytest.raises(ValidationError, match=r"10 is not a number of days; allowed: 2 to 9"):
        Tasks(count=10)
    with pytest.raises(ValidationError, match=r"True is not a number of days"):
        Tasks(count=True)
    schema = Tasks.model_json_schema()["properties"]["count"]
    assert (schema["minimum"], schema["maximum"]) == (2, 9)


def test_worded_without_bounds_before_it_is_a_definition_error() -> None:
    with pytest.raises(TypeError, match=r"needs Field\(ge= or gt=, le=\) before it"):
        class Unbounded(BaseModel):
            count: Annotated[int, Worded(amount), Field(ge=2, le=9)]
