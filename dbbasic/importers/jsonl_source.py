"""JSON Lines: one object per line, blank lines skipped. Values become text as written: numbers keep their
digits (`1.50` stays "1.50"), true/false are "true"/"false", null is None, nested objects and arrays are
their JSON text. The columns are the keys of the first SAMPLE_LINES objects in first-seen order; a key first
seen later is still in its rows' `values` (and `raw`), but is no column, so no field is filled from it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dbbasic.importers.source import SourceError, SourceFormat, SourceRow, open_text, strip_line_end

SAMPLE_LINES = 1000
_KINDS = {"[": "an array", '"': "a string", "t": "true", "f": "false", "n": "null"}
"""What a JSON value that is no object is, by its first character."""


def detect(path: Path, encoding: str) -> SourceFormat:
    columns: dict[str, None] = {}  # an ordered set
    rows = read_rows(path, SourceFormat("jsonl", encoding))
    for number, row in enumerate(itertools.islice(rows, SAMPLE_LINES)):
        if number == 0 and row.raw.lstrip().startswith("["):
            raise SourceError(f"{path}: a JSON array, not JSON Lines: write one object per line "
                              "(`jq -c '.[]'` does), or set `format:`")
        columns.update(dict.fromkeys(row.values))
    if not columns:
        raise SourceError(f"{path}: no JSON object with a key in its first lines: is it JSON Lines? "
                          "(set `format:` if not)")
    return SourceFormat("jsonl", encoding, columns=tuple(columns))


def read_rows(path: Path, fmt: SourceFormat, after_line: int = 0) -> Iterator[SourceRow]:
    with open_text(path, fmt.encoding) as f:
        for number, line in enumerate(f, 1):
            if number > after_line and line.strip():
                yield _row(number, strip_line_end(line).lstrip("\ufeff") if number == 1 else strip_line_end(line))


def _row(line: int, text: str) -> SourceRow:
    try:  # numbers as strings: their digits as written
        parsed = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except json.JSONDecodeError as exc:
        return SourceRow(line, {}, text, f"not JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(parsed, dict):
        return SourceRow(line, {}, text, f"{_KINDS.get(text.lstrip()[:1], 'a number')}, not a JSON object")
    nested = json.loads(text) if any(isinstance(v, dict | list) for v in parsed.values()) else {}
    return SourceRow(line, {key: _text(value, nested.get(key)) for key, value in parsed.items()}, text)


def _text(value: Any, plain: Any) -> str | None:
    """A JSON value as text; `plain` is the same value parsed with numbers as numbers (for nested JSON text)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
