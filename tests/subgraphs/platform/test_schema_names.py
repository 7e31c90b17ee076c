"""The subgraphs' name converter gives Strawberry's names, remembered."""

from __future__ import annotations

import pytest
from strawberry.schema.name_converter import NameConverter

from subgraphs.platform.schema import RememberingNameConverter


@pytest.mark.parametrize("name", ["first", "average_rating", "_entities", "in_stock", "x_y_z"])
def test_the_names_are_strawberrys(name: str) -> None:
    remembering = RememberingNameConverter()

    assert remembering.apply_naming_config(name) == NameConverter().apply_naming_config(name)
    assert remembering.apply_naming_config(name) == NameConverter().apply_naming_config(name)
