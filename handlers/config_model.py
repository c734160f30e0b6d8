"""Typed, validated settings records built from nested mappings, without pydantic.

Settings are read by every command, including the light ones (`senso status`), where importing
pydantic and building its validators would cost about 0.1 s of a 0.2 s budget. Settings need
little of it: a few scalar types, literals, optional values, lists, string-keyed tables, nested
records, secrets and numeric bounds. `build(Record, data)` checks those the way pydantic's lax
mode does (a number or a path may come as the string an environment variable holds), refuses
unknown keys, and reports the first problem with its dotted location (`ConfigError`).

A record is a dataclass; bounds go in the field's metadata: `field(default=8,
metadata=bounds(ge=1, le=256))`.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

T = TypeVar("T")
_INT = re.compile(r"\s*[+-]?[0-9]+\s*")
_TRUE = {"1", "true", "yes", "on", "t", "y"}
_FALSE = {"0", "false", "no", "off", "f", "n"}


class Secret:
    """A secret value: never shown by repr or str (as pydantic's SecretStr)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class ConfigError(ValueError):
    """The first invalid value: where (a path of keys) and what is wrong."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(f"{'.'.join(map(str, loc))}: {msg}")
        self.loc = loc
        self.msg = msg


def bounds(
    *, ge: float | None = None, gt: float | None = None, le: float | None = None
) -> dict[str, float]:
    """Field metadata for a number's bounds."""
    return {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le)) if v is not None}


def build(record: type[T], data: Any, loc: tuple[str | int, ...] = ()) -> T:
    """`record` from `data` (a mapping), every field checked; unknown keys refused."""
    if isinstance(data, record):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(loc, "Input should be a valid dictionary")
    hints = typing.get_type_hints(record)
    known = {f.name: f for f in dataclasses.fields(record)}  # type: ignore[arg-type]
    for key in data:
        if key not in known:
            raise ConfigError((*loc, key), "Extra inputs are not permitted")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if name in data:
            value = _check(hints[name], data[name], (*loc, name))
            _check_bounds(value, spec.metadata, (*loc, name))
            values[name] = value
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise ConfigError((*loc, name), "Field required")
    return record(**values)


def dump(record: Any) -> dict[str, Any]:
    """A record as nested plain dicts (secrets stay `Secret`), as `asdict` but shallow-copied."""
    return dataclasses.asdict(record)


def _check(hint: Any, value: Any, loc: tuple[str | int, ...]) -> Any:
    origin = get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        chosen = [o for o in options if o is not type(None)]
        if len(chosen) != 1:
            raise TypeError(f"unsupported setting type {hint!r}")
        return _check(chosen[0], value, loc)
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed:
            listed = " or ".join(repr(a) for a in allowed)
            raise ConfigError(loc, f"Input should be {listed}")
        return value
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(loc, "Input should be a valid list")
        (item,) = get_args(hint)
        return [_check(item, v, (*loc, i)) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(loc, "Input should be a valid dictionary")
        _, item = get_args(hint)
        return {str(k): _check(item, v, (*loc, str(k))) for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        return build(hint, value, loc)  # type: ignore[arg-type]
    return _scalar(hint, value, loc)


def _scalar(hint: Any, value: Any, loc: tuple[str | int, ...]) -> Any:
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(loc, "Input should be a valid string")
        return value
    if hint is Secret:
        if isinstance(value, Secret):
            return value
        if not isinstance(value, str):
            raise ConfigError(loc, "Input should be a valid string")
        return Secret(value)
    if hint is Path:
        if not isinstance(value, (str, Path)):
            raise ConfigError(loc, "Input should be a valid path")
        return Path(value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ConfigError(loc, "Input should be a valid boolean")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT.fullmatch(value):
            return int(value)
        raise ConfigError(loc, "Input should be a valid integer")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(loc, "Input should be a valid number")
    raise TypeError(f"unsupported setting type {hint!r}")


def _check_bounds(value: Any, metadata: Mapping[str, Any], loc: tuple[str | int, ...]) -> None:
    if value is None or not metadata:
        return
    if "ge" in metadata and value < metadata["ge"]:
        raise ConfigError(loc, f"Input should be greater than or equal to {metadata['ge']}")
    if "gt" in metadata and value <= metadata["gt"]:
        raise ConfigError(loc, f"Input should be greater than {metadata['gt']}")
    if "le" in metadata and value > metadata["le"]:
        raise ConfigError(loc, f"Input should be less than or equal to {metadata['le']}")
