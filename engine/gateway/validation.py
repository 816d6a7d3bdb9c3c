"""What is wrong with a body that does not fit its type, said field by field and row by row.

A body that decodes as its type never comes here (:func:`~engine.gateway.encoding.read_typed`);
one that does not is checked against the same type: a missing field first, then an unknown
one (a misspelt field must not be silently ignored), then each value (msgspec's
``convert``, with the API's hooks). A list is checked row by row so that every bad row is
named, not just the first.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
import numpy as np

from engine.api.wire import convert
from engine.gateway.problems import Problem, unprocessable
from engine.gateway.quantities import RowErrors

T = TypeVar("T")
MAX_ROWS = 1_000_000  # rows of one request (the body limit is the real bound)

_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED = re.compile(r"field `(?P<name>[^`]+)`")
_LAST_NAME = re.compile(r"\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[\d+\])*$")


def check_rows(rows: Any, field: str) -> None:
    """``rows`` is a non-empty array of at most MAX_ROWS rows."""
    if not isinstance(rows, list | np.ndarray):
        raise unprocessable(field, f"{field} must be an array")
    if not len(rows):
        raise unprocessable(field, f"{field} must not be empty", "empty-batch")
    if len(rows) > MAX_ROWS:
        raise unprocessable(field, f"{field} may have at most {MAX_ROWS} rows")


def check_fields(obj: Any, kind: type, what: str) -> None:
    """``obj`` is an object with every required field of ``kind`` and no other."""
    if not isinstance(obj, dict):
        raise unprocessable(what, f"{what} must be an object, was {type(obj).__name__}")
    fields = msgspec.structs.fields(kind)
    for f in fields:
        if f.required and f.encode_name not in obj:
            raise unprocessable(f.encode_name, f"{f.encode_name} is required")
    known = {f.encode_name for f in fields}
    for name in obj:
        if name not in known:
            raise unprocessable(str(name), f"unknown field {str(name)!r} in {what}")


def invalid(error: msgspec.ValidationError, what: str) -> Problem:
    """A 422 naming the field of a value that does not fit its type."""
    found = _AT.match(str(error))
    assert found is not None  # the pattern matches any text
    message, path = found["message"], found["path"] or ""
    named = _NAMED.search(message) or _LAST_NAME.search(path)
    field = named["name"] if named else what
    # The API's own checks say "must be ..." (after the field's name); msgspec's "Expected".
    return unprocessable(
        field, f"{field} {message}" if message[:1].islower() else f"{field}: {message}"
    )


def one(obj: Any, kind: type[T], what: str) -> T:
    """``obj`` (decoded without a type) as ``kind``, or the problem with it."""
    check_fields(obj, kind, what)
    try:
        return convert(obj, kind)
    except msgspec.ValidationError as error:
        raise invalid(error, what) from None


def rows(objs: list[Any], kind: type[T], what: str, errors: RowErrors) -> list[T | None]:
    """Each row as ``kind``; a row that is not is None, and its problem is in ``errors``."""
    out: list[T | None] = []
    for row, obj in enumerate(objs):
        try:
            out.append(one(obj, kind, what))
        except Problem as problem:
            errors.add_problem(row, problem)
            out.append(None)
    return out


def unchecked(obj: Any, kind: type[T], what: str) -> T:
    """``obj``'s fields as ``kind`` without checking their values: columns, whose
    converters check every row and name each bad one."""
    check_fields(obj, kind, what)
    names = {f.encode_name: f.name for f in msgspec.structs.fields(kind)}
    return kind(**{names[k]: v for k, v in obj.items()})
