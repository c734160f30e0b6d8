"""Two adjustments to Typer, installed once when the CLI loads (`install()`).

- Flags are shown as flags: Typer labels every boolean option `<bool>` as though it took a value.
- Plain parameters are converted without pydantic. Typer builds a pydantic `TypeAdapter` for
  every parameter of the command that runs, even one left at its default; importing pydantic
  and building the adapters costs a light command (`senso status`) about 0.1 s. A `str`, `int`,
  `float`, `Path` or choice parameter whose value is plainly valid is converted here with the
  result Typer's adapter would give; anything else (a bad value, a custom parser, a list, a
  range) goes to Typer's own adapter, built then, so its checks and messages are unchanged.

Both reach into Typer internals, so pyproject.toml pins Typer's minor version;
tests/unit/cli/test_typer_compat.py checks each conversion against Typer's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_choice, coerce_cli_path, lenient_issubclass
from typer._typing import is_literal_type, literal_values
from typer.core import TyperOption, _TyperParameter

if TYPE_CHECKING:
    from typer._click.core import Context

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_UNDECIDED = object()
_display_type = TyperOption.display_type_rich


def _flag_type(self: TyperOption, ctx: Context) -> str | None:
    return None if self.is_flag else _display_type(self, ctx)


@dataclass(frozen=True)
class PlainParam(RuntimeParam):
    """A parameter converted without pydantic when its value is plainly valid."""

    descriptor: TypeDescriptor = field(repr=False, kw_only=True)
    # Typer's own conversion, built on the first value the plain rules leave undecided.
    _fallback: list[RuntimeParam] = field(default_factory=list, repr=False, kw_only=True)

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        converted = plain_value(self.annotation, self.parameter_info, value, param, ctx)
        if converted is not _UNDECIDED:
            return converted
        if not self._fallback:
            self._fallback.append(build_runtime_param(self.descriptor))
        return self._fallback[0]._coerce_value(value, param=param, ctx=ctx)


def plain_value(
    annotation: Any, info: Any, value: Any, param: _TyperParameter, ctx: Context
) -> Any:
    """What Typer's adapter returns for `value`, or _UNDECIDED when the plain rules cannot
    tell (then the adapter decides, and reports an invalid value its own way)."""
    if info.parser is not None:
        return _UNDECIDED
    if annotation is str:
        return value if isinstance(value, str) else _UNDECIDED
    if annotation in (int, float):
        if info.min is not None or info.max is not None or info.clamp:
            return _UNDECIDED
        if isinstance(value, str) and (_INT if annotation is int else _FLOAT).fullmatch(value):
            return annotation(value)
        if type(value) is annotation:  # a default already of the type (bool is not an int)
            return value
        return _UNDECIDED
    if lenient_issubclass(annotation, Path) and info.path_type is None:
        if not isinstance(value, (str, Path)):
            return _UNDECIDED
        path = value if isinstance(value, annotation) else annotation(value)
        return coerce_cli_path(path, info, path_type=annotation, param=param, ctx=ctx)
    if lenient_issubclass(annotation, Enum) or is_literal_type(annotation):
        choices = list(annotation) if lenient_issubclass(annotation, Enum) else None
        try:
            return coerce_cli_choice(
                value,
                choices=choices if choices is not None else literal_values(annotation),
                case_sensitive=info.case_sensitive,
                ctx=ctx,
            )
        except ValueError:
            return _UNDECIDED  # not a choice: Typer's adapter words the error
    return _UNDECIDED


def _runtime_param(self: _TyperParameter) -> RuntimeParam:
    if self._runtime_param is None:
        descriptor = self.type_descriptor
        if descriptor.file_annotation is not None:
            self._runtime_param = build_runtime_param(descriptor)
        else:
            self._runtime_param = PlainParam(
                parameter_info=descriptor.parameter_info,
                annotation=descriptor.annotation,
                descriptor=descriptor,
            )
    return self._runtime_param


def install() -> None:
    TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]
    _TyperParameter.get_runtime_param = _runtime_param  # type: ignore[method-assign]
