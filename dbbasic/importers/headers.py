"""Source column names: made usable (`column_names`) and matched to the target model's fields (`match_columns`),
ignoring case, spaces and punctuation, so `E-Mail Address`, `email_address` and `EmailAddress` are one name.

    match_columns(["E-Mail Address", "Company"], ["email_address", "organization"], {"Company": "organization"})
    # {'Company': 'organization', 'E-Mail Address': 'email_address'}
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence


def header_key(name: str) -> str:
    """`name` compared loosely: Unicode-normalised (NFKC), case-folded, letters and digits only.
    "E-Mail Address" -> "emailaddress"."""
    return "".join(c for c in unicodedata.normalize("NFKC", name).casefold() if c.isalnum())


def column_names(header: Sequence[str]) -> tuple[str, ...]:
    """A header's names made usable as keys, deterministically: spaces around a name dropped, a blank name
    becomes `column_<position>` (1-based), and a name seen before gets `_2`, `_3`... (the first keeps its name),
    so `Phone,,Phone` reads as `Phone, column_2, Phone_2`. A map rule can then name either column."""
    written = [name.strip().lstrip("\ufeff").strip() for name in header]
    taken = set(filter(None, written))  # names as written keep them: only repeats and blanks change
    names: list[str] = []
    for position, name in enumerate(written, 1):
        if name and name not in names:
            names.append(name)
            continue
        base = name or f"column_{position}"
        unique, suffix = base, 1
        while unique in taken:
            suffix += 1
            unique = f"{base}_{suffix}"
        names.append(unique)
        taken.add(unique)
    return tuple(names)


def match_columns(columns: Sequence[str], fields: Sequence[str], mapped: Mapping[str, str]) -> dict[str, str]:
    """Source column -> model field. `mapped` (source column -> field, from map rules) comes first, its names
    found as written or else by `header_key`; then every other column whose `header_key` is a field's, among
    the fields not mapped already. Unmatched columns are absent (a map rule naming a column that is not there
    is the rule's own check to report). ValueError when two columns would fill one field, naming them."""
    result: dict[str, str] = {}
    for written, target in mapped.items():
        column, field = _find(written, columns), _find(target, fields)
        if column is not None and field is not None:
            result[column] = field
    _refuse_shared(result, "are both mapped to the field {field!r}: keep one of those map rules")
    claimed = set(result.values())
    for column in columns:
        key = header_key(column)
        if column in result or not key:
            continue
        candidates = [f for f in fields if header_key(f) == key and f not in claimed]
        exact = [f for f in candidates if f == column]
        if len(candidates) == 1 or exact:
            result[column] = (exact or candidates)[0]
        elif candidates:
            raise ValueError(f"column {column!r} matches the fields {', '.join(map(repr, candidates))}: "
                             f"map it with a rule such as \"Map '{column}' field to '{candidates[0]}'\"")
    _refuse_shared(result, "both match the field {field!r}: add a rule \"Map '{column}' field to '{field}'\" "
                           "to say which one fills it")
    return result


def _find(name: str, names: Sequence[str]) -> str | None:
    """`name` among `names`: as written, or else the one name with its `header_key`."""
    if name in names:
        return name
    loose = [n for n in names if header_key(n) == header_key(name)]
    return loose[0] if len(loose) == 1 else None


def _refuse_shared(result: Mapping[str, str], problem: str) -> None:
    """ValueError when two columns fill one field: `problem` (formatted with `field` and the first `column`)
    says what to do."""
    by_field: dict[str, list[str]] = {}
    for column, field in result.items():
        by_field.setdefault(field, []).append(column)
    for field, columns in by_field.items():
        if len(columns) > 1:
            said = problem.format(field=field, column=columns[0])
            raise ValueError(f"columns {' and '.join(map(repr, columns))} {said}")
