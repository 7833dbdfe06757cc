"""What every rule needs: rule text normalised and its field names resolved, parameters checked, and a
prepared rule that changes the values of some fields of a row.

Free text is read by regular expressions over `normalise(text)`, matched case-insensitively. A field is
named in quotes (`'first_name'`), bare (`email`, `first name`: spaces, case and punctuation do not count),
or by what it holds (`phone numbers`, `emails`, `dates`: every field of that semantic type).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from dbbasic.importers.headers import header_key
from dbbasic.importers.outcome import UNCHANGED, RuleOutcome
from dbbasic.specs.model import FieldType

QUOTED = r"""(?:'[^']*'|"[^"]*"|`[^`]*`)"""
"""A quoted name or value, in any of the quotes people type."""
TOKEN = rf"(?:{QUOTED}|[\w.@+-]+)"
"""A quoted name or value, or a single bare word."""
ALL = "all"
"""`fields: all`: every field of the row."""
TEXT_TYPES = ("text", "string")
"""Semantic types of free text, which may hold anything a rule reads."""

_CURLY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_TYPE_WORDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), types) for pattern, types in (
        (r"(?:tele)?phones?(?:\s+numbers?|\s+fields?)?|mobile\s+numbers?", ("phone",)),
        (r"e-?mails?(?:\s+address(?:es)?|\s+fields?)?", ("email",)),
        (r"timestamps?(?:\s+fields?)?", ("timestamp",)),
        (r"(?:dates?(?:\s+and\s+(?:times?|timestamps?))?|date\s*times?|dates?\s+(?:formats?|fields?|values?))",
         ("date", "timestamp")),
    ))
_ALL_WORDS = re.compile(r"(?:all\s+|every\s+)?(?:fields?|columns?|values?)|everything", re.IGNORECASE)
_ITEM_FILLER = re.compile(r"^(?:(?:the|all|every|each|an?)\s+)+|\s+(?:fields?|columns?)$", re.IGNORECASE)
_SEPARATOR = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|&|\+|/)\s*", re.IGNORECASE)
_QUOTED = re.compile(QUOTED)


def normalise(text: str) -> str:
    """Rule text with straight quotes, single spaces and no final full stop."""
    text = " ".join(text.translate(_CURLY).split())
    return text[:-1].rstrip() if text.endswith(".") else text


def unquote(token: str) -> str:
    return token[1:-1] if token[:1] in "'\"`" and len(token) > 1 and token[-1] == token[0] else token


def resolve_field(name: str, fields: Mapping[str, FieldType]) -> str | None:
    """The model field `name` stands for: itself, or the one field it equals ignoring case and punctuation."""
    if name in fields:
        return name
    same = [f for f in fields if header_key(f) == header_key(name)]
    return same[0] if len(same) == 1 else None


def fields_of_type(types: Iterable[str], fields: Mapping[str, FieldType]) -> list[str]:
    wanted = set(types)
    return [name for name, ftype in fields.items() if ftype.name in wanted]


def field_list(phrase: str, fields: Mapping[str, FieldType], allow_all: bool = False) -> list[str] | str | None:
    """The fields a phrase names ("'first_name' and 'last_name'", "emails", "all fields"), or None when a
    bare word names no field. A quoted name is kept as written even when the model has no such field, so
    that `check` says so; `ALL` when `allow_all` and the phrase means every field."""
    placeholders: list[str] = []

    def hide(match: re.Match[str]) -> str:
        placeholders.append(match.group())
        return f"\0{len(placeholders) - 1}\0"

    hidden = _QUOTED.sub(hide, phrase.strip())
    if allow_all and _ALL_WORDS.fullmatch(hidden):
        return ALL
    names: list[str] = []
    for item in _SEPARATOR.split(hidden):
        item = _ITEM_FILLER.sub("", item.strip())
        if item.startswith("\0") and item.endswith("\0") and item.count("\0") == 2:
            written = unquote(placeholders[int(item.strip("\0"))])
            names.append(resolve_field(written, fields) or written)
            continue
        if not item or "\0" in item:
            return None
        name = resolve_field(item, fields)
        if name is None:
            typed = next((types for pattern, types in _TYPE_WORDS if pattern.fullmatch(item)), None)
            if typed is None:
                return None
            names.extend(fields_of_type(typed, fields))
        else:
            names.append(name)
    return list(dict.fromkeys(names))


Clause = tuple[re.Pattern[str], dict[str, Any]]
_FILLER = re.compile(r"^(?:[\s,;:()\[\]]|\band\b|\bwith\b|\busing\b)*", re.IGNORECASE)


def clause(pattern: str, **constants: Any) -> Clause:
    """An optional clause of a rule (`default region US`): its named groups and `constants` are parameters."""
    return re.compile(pattern, re.IGNORECASE), constants


def readings(text: str, patterns: Iterable[re.Pattern[str]], fields: Mapping[str, FieldType],
             known: Sequence[Clause] = ()) -> Iterator[tuple[re.Match[str], list[str] | str, dict[str, Any]]]:
    """Each way a rule's `patterns` read `text`, in their order: the match, the fields its `fields` group
    names, and what the clauses of its `rest` group (if it has one) say; only readings whose fields and
    clauses are all understood."""
    text = normalise(text)
    for pattern in patterns:
        match = pattern.match(text)
        if not match:
            continue
        named = field_list(match["fields"], fields)
        said = clauses(match["rest"], known) if "rest" in pattern.groupindex else {}
        if named is not None and said is not None:
            yield match, named, said


def clauses(rest: str, known: Sequence[Clause]) -> dict[str, Any] | None:
    """The parameters said by the clauses that make up `rest`; None when some of it is no known clause
    (a rule is understood whole or not at all)."""
    found: dict[str, Any] = {}
    while rest := _FILLER.sub("", rest, count=1):
        for pattern, constants in known:
            match = pattern.match(rest)
            if match and match.end():
                found.update(constants)
                found.update({k: v for k, v in match.groupdict().items() if v is not None})
                rest = rest[match.end():]
                break
        else:
            return None
    return found


INVALID = ("reject", "keep", "null")
"""What a rule does with a value it cannot make valid: reject the row, keep the value as it was (noted),
or empty it (noted)."""
_INVALID_ONES = r"(?:the\s+)?invalid(?:\s+(?:ones|values|numbers|phones|e-?mails|addresses))?"
INVALID_CLAUSES: tuple[Clause, ...] = (
    clause(rf"(?:keep|leave)\s+{_INVALID_ONES}(?:\s+as\s+(?:they\s+are|is))?\b", invalid="keep"),
    clause(rf"(?:blank|empty|clear|null)\s+{_INVALID_ONES}\b", invalid="null"),
    clause(rf"set\s+{_INVALID_ONES}\s+to\s+(?:null|empty|blank)\b", invalid="null"),
    clause(rf"reject\s+(?:rows\s+with\s+)?{_INVALID_ONES}\b", invalid="reject"),
)


def invalid(policy: str, value: Any, reason: str) -> tuple[Any, str, str]:
    """(value, reject, note) for a value the rule cannot make valid, under the `invalid:` policy."""
    if policy == "keep":
        return value, "", f"kept as written: {reason}"
    if policy == "null":
        return None, "", f"emptied: {reason}"
    return value, reason, ""


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- checking parameters ---------------------------------------------------------------------------------

def check_parameters(params: Mapping[str, Any], known: Mapping[str, str], required: Sequence[str]) -> list[str]:
    problems = [f"unknown parameter {name!r}{_close(str(name), list(known))} (the parameters are: "
                f"{', '.join(known)})" for name in params if name not in known]
    return problems + [f"needs {name!r}: {known[name]}" for name in required if params.get(name) in (None, "")]


def check_fields(params: Mapping[str, Any], fields: Mapping[str, FieldType], types: Sequence[str] = (),
                 allow_all: bool = False) -> list[str]:
    """Problems with `fields:`: not a list of model fields (of one of `types`, when given)."""
    names = params.get("fields")
    if allow_all and names == ALL:
        return []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not names:
        what = f" (no field of type {' or '.join(types)} in the model)" if types else ""
        return [f"applies to no field{what}: name the fields, as in fields: [{next(iter(fields), 'name')}]"]
    problems = []
    for name in names:
        ftype = fields.get(name) if isinstance(name, str) else None
        if ftype is None:
            problems.append(f"there is no field {name!r} in the model{_close(str(name), list(fields))} "
                            f"(the fields are: {', '.join(fields)})")
        elif types and ftype.name not in types and ftype.name not in TEXT_TYPES:
            problems.append(f"field {name!r} is of type {ftype}, not {' or '.join(types)}")
    return problems


def check_choice(params: Mapping[str, Any], name: str, choices: Sequence[Any]) -> list[str]:
    value = params.get(name, choices[0])
    return [] if value in choices else [f"{name} must be one of {', '.join(map(str, choices))}; not {value!r}"]


def _close(word: str, names: list[str]) -> str:
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6) or [
        n for n in names if header_key(n) == header_key(word)]
    return f" (did you mean {close[0]!r}?)" if close else ""


# -- prepared rules --------------------------------------------------------------------------------------

class Prepared:
    """A prepared rule. It pickles as its parameters and is prepared again where it is unpickled, so that
    the runner can hand it to worker processes (the functions it holds do not pickle)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)

    def __reduce__(self) -> tuple[type[Prepared], tuple[dict[str, Any]]]:
        return type(self), (self.params,)


class FieldRule(Prepared):
    """A rule that changes the values of its fields one by one (`fields: all`: every field of the row)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        names = self.params.get("fields", ALL)
        self.fields: list[str] | None = None if names == ALL else [names] if isinstance(names, str) else names

    def value(self, value: Any) -> tuple[Any, str, str]:
        """(new value, reject reason, note) for one value."""
        raise NotImplementedError

    def __call__(self, row: dict[str, Any]) -> RuleOutcome:
        changed, notes = False, []
        for field in self.fields if self.fields is not None else list(row):
            value = row.get(field)
            new, reject, note = self.value(value)
            if reject:
                return RuleOutcome(changed, f"{field}: {reject}")
            if note:
                notes.append(f"{field}: {note}")
            if new is not value and new != value:
                row[field] = new
                changed = True
        return RuleOutcome(changed, "", "; ".join(notes)) if changed or notes else UNCHANGED
