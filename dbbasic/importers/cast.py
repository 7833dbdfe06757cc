"""Values in the types of their fields, for loading, or the reason a value does not fit.

    cast("42", FieldType("int"))                          # (42, "")
    cast("abc", FieldType("int"))                         # (None, "'abc' is not an integer")
    cast("Open", FieldType("enum"), ("todo", "done"))     # (None, "'Open' is not one of: todo, done")

What each semantic type takes (dbbasic/specs/model.py SEMANTIC_TYPES), beyond None, which is NULL:
- text, email, phone, url: any text, as it is (the rules validate and tidy); string(n): at most n characters;
- int, bigint, id: whole numbers in digits (`+7`, `42.0`; not `1,000` or `4.5`), in PostgreSQL's range
  for the type (int is 32 bits) -> int;
- decimal(p, s): a number in digits (`-12.50`, `1e3`), at most s decimals (never rounded) and p digits in
  all -> Decimal; float: a finite number -> float;
- bool: true/false, t/f, yes/no, y/n, 1/0, on/off, in any case -> bool;
- date: ISO 8601 `YYYY-MM-DD` (or a date-time at midnight) -> that text; timestamp: ISO 8601 date-time
  (a date alone is its midnight; without an offset, UTC) -> dbbasic's timestamp text in UTC,
  `YYYY-MM-DDTHH:MM:SS.sssZ` (finer than a millisecond is refused, not rounded);
- json: JSON text, kept as written (NaN and Infinity, which PostgreSQL refuses, are not JSON) -> text;
  other values are written as JSON;
- uuid: any form Python reads (`{...}`, no hyphens, upper case) -> the canonical lower-case text;
- enum: exactly one of the field's `values` -> text.
Blank text (only whitespace) is NULL for every type but text and string, where it stays as it is: a
spreadsheet cell with a space is no number, no email and no phone number, but it is a text.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from dbbasic.specs.model import FieldType
from dbbasic.transforms.utc_timestamp import utc_text

Cast = tuple[Any, str]
TEXT_TYPES = ("text", "string", "email", "phone", "url")
FREE_TEXT = ("text", "string")
"""Types where blanks are a value: an email, a phone number or a URL of spaces is none."""
INTEGER_RANGES = {"int": 31, "bigint": 63, "id": 63}
"""Semantic integer types -> the bits of their range, as PostgreSQL has them (integer, bigint)."""
TRUE, FALSE = ("true", "t", "yes", "y", "1", "on"), ("false", "f", "no", "n", "0", "off")
_INTEGER = re.compile(r"[+-]?[0-9]+(?:\.0*)?")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PARSE_DATES = "a parse_dates rule reads other formats"


def cast(value: Any, ftype: FieldType, values: tuple[Any, ...] = ()) -> Cast:
    """`value` in the type of a field of type `ftype` (`values`: an enum's values), and "" ; or None and
    the reason it does not fit."""
    if value is None:
        return None, ""
    if isinstance(value, str) and ftype.name not in FREE_TEXT and not value.strip():
        return None, ""
    return _CASTS[ftype.name](value, ftype, values)


def _text(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    text = value if isinstance(value, str) else str(value)
    if ftype.name == "string" and ftype.args and len(text) > ftype.args[0]:
        return None, f"it is {len(text)} characters long; the field holds at most {ftype.args[0]}"
    return text, ""


def _integer(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None, f"{value!r} is not an integer"
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            return None, f"{value!r} is not an integer" + (" (thousands separators are not read)"
                                                           if re.fullmatch(r"[+-]?[0-9]{1,3}([,.' ][0-9]{3})+", text)
                                                           else "")
        value = int(text.partition(".")[0])
    bits = INTEGER_RANGES[ftype.name]
    if not -(2 ** bits) <= value < 2 ** bits:
        return None, f"{value} is out of range for {ftype.name} ({-(2 ** bits)} to {2 ** bits - 1})"
    return value, ""


def _decimal(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    text = str(value).strip()
    if isinstance(value, bool) or not _NUMBER.fullmatch(text):
        return None, f"{value!r} is not a number" + (" (write the decimal point as .)"
                                                     if re.fullmatch(r"[+-]?[0-9]*,[0-9]+", text) else "")
    number = Decimal(text)
    if not ftype.args:
        return number, ""
    precision, scale = ftype.args[0], (ftype.args[1] if len(ftype.args) > 1 else 0)
    try:
        fitted = number.quantize(Decimal(1).scaleb(-scale))
    except InvalidOperation:
        fitted = number  # more digits than the context holds: too large, said below
    if fitted != number:
        return None, f"{value!r} has more than {scale} decimals, which {ftype} would round"
    if fitted != 0 and fitted.adjusted() >= precision - scale:
        return None, f"{value!r} is too large for {ftype} (at most {precision - scale} digits before the point)"
    return fitted, ""


def _float(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    text = str(value).strip()
    if isinstance(value, bool) or not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
        return None, f"{value!r} is not a finite number"
    return float(text), ""


def _bool(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    text = str(value).strip().casefold()
    if text in TRUE:
        return True, ""
    if text in FALSE:
        return False, ""
    return None, f"{value!r} is not a yes or no (true/false, yes/no, 1/0)"


def _date(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    if isinstance(value, datetime):
        value = value.isoformat()
    elif isinstance(value, date):
        return value.isoformat(), ""
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat(), ""
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, f"{value!r} is not an ISO 8601 date (YYYY-MM-DD); {_PARSE_DATES}"
    if moment.time() != time():
        return None, f"{value!r} has a time of day, and the field is a date"
    return moment.date().isoformat(), ""


def _timestamp(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, f"{value!r} is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS); {_PARSE_DATES}"
    # A timestamp field holds an instant: a time without an offset is read as UTC (a parse_dates rule with
    # `zone:` reads it in another zone), and written as dbbasic's timestamp text on every database.
    stored = utc_text(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))
    if stored is None:
        return None, f"{value!r} is finer than a millisecond, which a timestamp field keeps"
    return stored, ""


def _json(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    if not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False), ""
    try:
        json.loads(value, parse_constant=_no_constant)
    except ValueError as exc:
        return None, f"it is not JSON: {exc}"
    return value, ""


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _uuid(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip())), ""
    except ValueError:
        return None, f"{value!r} is not a UUID"


def _enum(value: Any, ftype: FieldType, values: tuple[Any, ...]) -> Cast:
    text = str(value)
    allowed = [str(v) for v in values]
    if not values or text in allowed:
        return text, ""
    close = [v for v in allowed if v.casefold() == text.strip().casefold()] or difflib.get_close_matches(
        text, allowed, n=1)
    hint = f" (did you mean {close[0]!r}? a map_values rule can map it)" if close else ""
    return None, f"{value!r} is not one of: {', '.join(allowed)}{hint}"


_CASTS: dict[str, Callable[[Any, FieldType, tuple[Any, ...]], Cast]] = {
    **dict.fromkeys(TEXT_TYPES, _text), **dict.fromkeys(INTEGER_RANGES, _integer),
    "decimal": _decimal, "float": _float, "bool": _bool, "date": _date, "timestamp": _timestamp,
    "json": _json, "uuid": _uuid, "enum": _enum,
}
