"""Typed, strict reading of one table of a parsed TOML document (for the cluster config).

A :class:`Table` knows its keys: any other key is an error (a typo must not silently become a
default), reported with the closest known key. Every getter checks the type and says what was
expected and what was found; failures raise :class:`FieldError` carrying ``where`` (the
place, e.g. ``member "szkola-1", connection point "PL-2"``) and the message, and the caller
adds the file name. Decimals are read as text (or TOML integers), never as TOML floats, so
they stay exact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, NoReturn

_REQUIRED: Any = object()


class FieldError(ValueError):
    """A bad value at ``where``; ``message`` names the field, what was expected and found."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


def show(value: object) -> str:
    """Render a TOML value for an error message: strings in double quotes, TOML spelling."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


class Table:
    """One TOML table at ``where``; its keys are reported as ``prefix + key``."""

    def __init__(
        self, value: object, where: str, prefix: str, keys: Sequence[str], name: str
    ) -> None:
        if not isinstance(value, dict):
            raise FieldError(where, f"{name} must be a table, was {show(value)}")
        self.where = where
        self.prefix = prefix
        self._values = value
        for key in value:  # TOML order: the first unknown key in the file is reported
            if key not in keys:
                import difflib  # here: only a config with a typo pays for it

                close = difflib.get_close_matches(key, keys, n=1)
                hint = f' (did you mean "{prefix}{close[0]}"?)' if close else ""
                self.fail(f'unknown key "{prefix}{key}"{hint}; expected one of {", ".join(keys)}')

    def fail(self, message: str) -> NoReturn:
        raise FieldError(self.where, message)

    def label(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def raw(self, key: str, default: Any = _REQUIRED) -> Any:
        """Return the value of ``key`` as TOML gave it, or ``default`` when it is absent."""
        if key in self._values:
            return self._values[key]
        if default is _REQUIRED:
            self.fail(f"{self.label(key)} is required")
        return default

    def string(self, key: str, default: Any = _REQUIRED) -> str:
        """Return a non-blank string."""
        value = self.raw(key, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{self.label(key)} must be a non-empty string, was {show(value)}")
        return value

    def matching(self, key: str, pattern: re.Pattern[str], expected: str) -> str:
        """Return a string that matches ``pattern`` in full (``expected`` describes it)."""
        value = self.raw(key)
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.fail(f"{self.label(key)} must be {expected}, was {show(value)}")
        return value

    def choice(self, key: str, choices: Sequence[str], default: Any = _REQUIRED) -> str:
        """Return one of ``choices``."""
        value = self.raw(key, default)
        if not isinstance(value, str) or value not in choices:
            self.fail(f"{self.label(key)} must be one of {', '.join(choices)}, was {show(value)}")
        return value

    def integer(self, key: str, minimum: int, default: Any = _REQUIRED, unit: str = "") -> int:
        """Return an integer >= ``minimum`` (``unit`` is shown in brackets)."""
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            bracket = f" [{unit}]" if unit else ""
            self.fail(
                f"{self.label(key)} must be an integer >= {minimum}{bracket}, was {show(value)}"
            )
        return value

    def number(self, key: str, default: Any = _REQUIRED) -> float:
        """Return a TOML integer or float as a float (for parameters such as k, not money)."""
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{self.label(key)} must be a number, was {show(value)}")
        return float(value)

    def decimal_text(self, key: str, default: Any = _REQUIRED) -> str:
        """Return a decimal as text: a TOML string, or a TOML integer turned into text.

        TOML floats are refused: ``3.7`` would already be the binary float 3.7000000000000002.
        """
        value = self.raw(key, default)
        if isinstance(value, float):
            self.fail(
                f'{self.label(key)} must be a decimal written as a string such as "{value}" '
                f"(exact, not a float), was {show(value)}"
            )
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.fail(f"{self.label(key)} must be a decimal string, was {show(value)}")
        return value.strip()

    def tables(self, key: str, header: str = "") -> list[object]:
        """Return an array of tables (its items are checked by the caller's :class:`Table`).

        ``header`` is how the array is written in TOML (default ``[[key]]``).
        """
        value = self.raw(key)
        if not isinstance(value, list):
            written = header or f"[[{self.label(key)}]]"
            self.fail(
                f"{self.label(key)} must be an array of tables ({written}), was {show(value)}"
            )
        return value
