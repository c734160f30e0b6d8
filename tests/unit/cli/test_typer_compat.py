"""senso converts plain parameters without pydantic (senso_cli.typer_compat); each conversion
must give what Typer's own adapter gives, and leave to the adapter what it cannot decide."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any, Literal

import pytest
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param, resolve_type_descriptor
from typer.models import OptionInfo

from senso_cli.typer_compat import _UNDECIDED, PlainParam, plain_value


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


CASES: list[tuple[Any, dict[str, Any], Any]] = [
    (str, {}, "demo"),
    (str, {}, ""),
    (int, {}, "12"),
    (int, {}, "-3"),
    (int, {}, "007"),
    (int, {}, 5),
    (float, {}, "0.5"),
    (float, {}, "2"),
    (float, {}, "-1.25"),
    (float, {}, 0.05),
    (Path, {}, "some/file.toml"),
    (Path, {}, ""),
    (Path, {}, Path("x")),
    (Literal["text", "json"], {}, "json"),
    (Colour, {}, "blue"),
    (Colour, {"case_sensitive": False}, "RED"),
]


def _typer(annotation: Any, info: OptionInfo, value: Any) -> Any:
    adapter = build_runtime_param(resolve_type_descriptor(annotation, info))
    return adapter._coerce_value(value, param=None, ctx=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("annotation", "options", "value"), CASES)
def test_plain_conversion_equals_typers(
    annotation: Any, options: dict[str, Any], value: Any
) -> None:
    info = OptionInfo(**options)
    mine = plain_value(annotation, info, value, None, None)  # type: ignore[arg-type]
    assert mine is not _UNDECIDED
    expected = _typer(annotation, info, value)
    assert mine == expected
    assert type(mine) is type(expected)


@pytest.mark.parametrize(
    ("annotation", "options", "value"),
    [
        (int, {}, "1.5"),
        (int, {}, "twelve"),
        (int, {"min": 1}, "3"),  # a range: Typer checks it
        (float, {}, "1e3"),
        (Literal["text", "json"], {}, "yaml"),
        (str, {"parser": str.upper}, "x"),
        (bool, {}, "yes"),
    ],
)
def test_what_the_plain_rules_cannot_decide_goes_to_typer(
    annotation: Any, options: dict[str, Any], value: Any
) -> None:
    info = OptionInfo(**options)
    assert plain_value(annotation, info, value, None, None) is _UNDECIDED  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("annotation", "options", "value"),
    [(int, {}, "1.5"), (int, {"min": 1}, "0"), (Literal["text", "json"], {}, "yaml")],
)
def test_a_bad_value_is_reported_by_typers_adapter(
    annotation: Any, options: dict[str, Any], value: Any
) -> None:
    info = OptionInfo(**options)
    descriptor = resolve_type_descriptor(annotation, info)
    param = PlainParam(parameter_info=info, annotation=annotation, descriptor=descriptor)
    with pytest.raises(BadParameter) as mine:
        param._coerce_value(value, param=None, ctx=None)  # type: ignore[arg-type]
    with pytest.raises(BadParameter) as typers:
        _typer(annotation, info, value)
    assert mine.value.message == typers.value.message


def test_a_missing_path_is_refused_as_typer_refuses_it(tmp_path: Path) -> None:
    info = OptionInfo(exists=True)
    missing = str(tmp_path / "absent.yaml")
    with pytest.raises(BadParameter, match="does not exist"):
        plain_value(Path, info, missing, None, None)  # type: ignore[arg-type]
