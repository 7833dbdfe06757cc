"""CSV as exports write it: the delimiter (, ; tab |) and quote found from the first lines, quoted newlines,
whole records wrapped in one extra pair of quotes, blank lines, and malformed records yielded with a problem
rather than stopping the import.

Records are parsed by the `csv` module (strict, so a stray quote is an error and not a silent merge) over
the file's lines, each remembered with its number until its record is done: `line` is the physical line
where a record starts and `raw` is its exact text. After a parse error the record's first line is the
malformed record and parsing starts again at its second line, so one quote never closed swallows no
records after it.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from dbbasic.importers.headers import column_names
from dbbasic.importers.source import SourceError, SourceFormat, SourceRow, open_text, strip_line_end

DELIMITERS = (",", ";", "\t", "|")
QUOTECHARS = ('"', "'")
"""The single quote is tried only in files with no double quote in their first lines: where both appear,
rows malformed under the double quote must not make the single quote look better."""
SAMPLE_LINES = 2000
"""Lines read to choose the delimiter and quote, and to see whether records are wrapped."""
GUESSABLE = 0.5
"""The share of sampled records that must have the header's number of fields: below it, no delimiter is
chosen (the spec must say `delimiter:`) and records are not read as wrapped."""
_SNIFFER_CHARS = 16384


@dataclass(frozen=True)
class _Record:
    line: int
    fields: list[str] | None
    raw: str
    problem: str = ""


def _records(lines: Iterable[str], delimiter: str, quotechar: str) -> Iterator[_Record]:
    """The records of `lines`, blank ones (every field empty or spaces: blank lines, `,,,`) left out."""
    rest, again = iter(lines), deque[str]()
    taken: list[str] = []  # the lines of the record being parsed
    number = 1  # the line it starts on
    while True:  # one reader until a parse error, then another from the failed record's second line
        reader = csv.reader(_kept(again, rest, taken), delimiter=delimiter, quotechar=quotechar, strict=True)
        try:
            for fields in reader:
                if not _blank(fields):
                    yield _Record(number, fields, strip_line_end("".join(taken)))
                number += len(taken)
                taken.clear()
            return
        except csv.Error as exc:
            first, *after = taken
            last_line = number + len(after) if after else None
            yield _Record(number, None, strip_line_end(first), _explain(exc, delimiter, quotechar, last_line))
            again.extend(after)
            number += 1
            taken.clear()


def _blank(fields: list[str]) -> bool:
    return not any(f.strip() for f in fields)


def _kept(again: deque[str], rest: Iterator[str], taken: list[str]) -> Iterator[str]:
    """The lines for csv.reader: those given `again` first, then the `rest`; each also appended to `taken`."""
    while True:
        line = again.popleft() if again else next(rest, None)
        if line is None:
            return
        taken.append(line)
        yield line


def _explain(exc: csv.Error, delimiter: str, quotechar: str, last_line: int | None) -> str:
    """What a parse error means for the record's first line; `last_line` is where parsing stopped, if past it
    (the lines after the first are then read again as records of their own)."""
    message = str(exc)
    read_again = "" if last_line is None else "; the lines after this one are read as records of their own"
    if message.startswith(("unexpected end of data", "field larger than field limit")):
        return f"a quote ({quotechar}) opened on this line is never closed{read_again}"
    if message.endswith(f"expected after '{quotechar}'"):
        if last_line is not None:
            return f"a quote ({quotechar}) opened on this line closes only on line {last_line}, with text after it" \
                   f"{read_again}"
        return (f"text follows a closing quote ({quotechar}) before the next {_shown(delimiter)}: a quote "
                "inside a quoted value must be doubled")
    return message + read_again


def _shown(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _unwrap(record: _Record, delimiter: str, quotechar: str) -> _Record:
    """A record wrapped in quotes as the record its one field holds (same line and raw text)."""
    if record.fields is None or len(record.fields) != 1:
        return record
    try:
        inner = list(csv.reader(io.StringIO(record.fields[0], newline=""), delimiter=delimiter, quotechar=quotechar,
                                strict=True))
    except csv.Error as exc:
        return replace(record, fields=None, problem=_explain(exc, delimiter, quotechar, None))
    if len(inner) != 1:
        return replace(record, fields=None, problem="the quoted record holds several records")
    return replace(record, fields=inner[0])


def _fits(fields: list[str], width: int) -> bool:
    """Whether a record has the header's `width` fields; empty fields past the end (`a,b,` for `x,y`) are
    allowed, as spreadsheets write them and they hold nothing."""
    return len(fields) == width or (len(fields) > width and not any(fields[width:]))


def _fit(records: Iterable[_Record], cut: bool) -> tuple[float, int]:
    """(the share of records after the header with the header's number of fields, that number). A sample that
    was `cut` may end inside a quoted value: a last record that fails to parse then does not count."""
    rest = iter(records)
    header = next(rest, None)
    if header is None or header.fields is None:
        return 0.0, 0
    width = len(header.fields)
    total = fitting = 0
    last_failed = False
    for record in rest:
        total += 1
        fitting += record.fields is not None and _fits(record.fields, width)
        last_failed = record.fields is None
    if cut and last_failed:
        total -= 1
    return (fitting / total if total else 1.0), width


def _sniffed(lines: list[str]) -> tuple[str, str] | None:
    try:
        dialect = csv.Sniffer().sniff("".join(lines)[:_SNIFFER_CHARS], delimiters="".join(DELIMITERS))
    except csv.Error:
        return None
    return dialect.delimiter, dialect.quotechar or '"'


def _choose(path: Path, scored: dict[tuple[str, str], tuple[float, int]], sniffed: tuple[str, str] | None,
            explicit: bool) -> tuple[str, str]:
    """The (delimiter, quote) whose records best have the header's number of fields (at least two). csv.Sniffer
    alone is often wrong (`id;text` over `1;"He said, ""yes"", then"` is ',' to it), so it only breaks ties;
    then the double quote, more fields, and the order of DELIMITERS do."""
    usable = [d for d, (_, width) in scored.items() if width >= 2]
    if not usable:  # one column: the delimiter never shows
        return next(iter(scored))[0], '"'
    order = list(scored)
    best = max(usable, key=lambda d: (scored[d][0], d == sniffed, d[1] == '"', scored[d][1], -order.index(d)))
    share, width = scored[best]
    if share < GUESSABLE and not explicit:
        raise SourceError(f"{path}: cannot tell the delimiter: with the likeliest, {_shown(best[0])}, only "
                          f"{share:.0%} of the first records have the header's {width} fields; set `delimiter:`")
    return best


def _wrapped(lines: list[str], delimiters: tuple[str, ...], cut: bool) -> tuple[str, str] | None:
    """The (delimiter, quote) of the records inside the quotes when records are wrapped in one extra pair:
    the header is one quoted field that holds two or more fields, and records unwrapped the same way mostly
    have that many. (Read plainly, such a file has a single column.)"""
    best: tuple[float, int, str, str] | None = None
    for delimiter, quotechar in itertools.product(delimiters, _quotechars(lines)):
        records = _records(lines, delimiter, quotechar)
        header = next(records, None)
        if header is None or header.fields is None or len(header.fields) != 1 or not header.raw.startswith(quotechar):
            continue
        unwrapped = (_unwrap(r, delimiter, quotechar) for r in itertools.chain([header], records))
        share, width = _fit(unwrapped, cut)
        if width >= 2 and share >= GUESSABLE and (best is None or (share, width) > best[:2]):
            best = share, width, delimiter, quotechar
    return None if best is None else (best[2], best[3])


def _quotechars(lines: list[str]) -> tuple[str, ...]:
    return QUOTECHARS[:1] if any('"' in line for line in lines) else QUOTECHARS


def detect(path: Path, encoding: str, delimiter: str | None, wrapped: bool | None) -> SourceFormat:
    delimiters = DELIMITERS if delimiter is None else (_delimiter(path, delimiter),)
    with open_text(path, encoding) as f:
        lines = list(itertools.islice(f, SAMPLE_LINES + 1))
    cut = len(lines) > SAMPLE_LINES
    lines = lines[:SAMPLE_LINES]
    inner = None if wrapped is False else _wrapped(lines, delimiters, cut)
    if wrapped and inner is None:
        inner = delimiters[0], '"'
    if inner is not None:
        chosen = inner
    else:
        scored = {d: _fit(_records(lines, *d), cut) for d in itertools.product(delimiters, _quotechars(lines))}
        chosen = _choose(path, scored, _sniffed(lines), explicit=delimiter is not None)
    fmt = SourceFormat("csv", encoding, chosen[0], chosen[1], inner is not None)
    with open_text(path, encoding) as f:
        header = _header(path, _records(f, fmt.delimiter, fmt.quotechar), fmt)
    return replace(fmt, columns=column_names(header))


def _delimiter(path: Path, given: str) -> str:
    delimiter = "\t" if given.casefold() in ("tab", "\\t") else given
    if len(delimiter) != 1 or delimiter in "\r\n\"'":
        raise SourceError(f"{path}: `delimiter: {given!r}` must be one character (like ',' ';' '|' or tab), "
                          "not a quote or a line break")
    return delimiter


def _header(path: Path, records: Iterator[_Record], fmt: SourceFormat) -> list[str]:
    first = next(records, None)
    if first is None:
        raise SourceError(f"{path}: no header line: the first line must name the columns")
    if fmt.wrapped:
        first = _unwrap(first, fmt.delimiter, fmt.quotechar)
    if first.fields is None:
        raise SourceError(f"{path}, line {first.line}: the header cannot be read: {first.problem}")
    return first.fields


def read_rows(path: Path, fmt: SourceFormat, after_line: int = 0) -> Iterator[SourceRow]:
    with open_text(path, fmt.encoding) as f:
        records = _records(f, fmt.delimiter, fmt.quotechar)
        columns = column_names(_header(path, records, fmt))
        if columns != fmt.columns:
            raise SourceError(f"{path}: the header is now {', '.join(columns)}; the plan was compiled for "
                              f"{', '.join(fmt.columns)}: compile the plan again")
        width = len(columns)
        for record in records:
            if record.line <= after_line:
                continue
            if fmt.wrapped:
                record = _unwrap(record, fmt.delimiter, fmt.quotechar)
                if record.fields is not None and _blank(record.fields):
                    continue
            if record.fields is None:
                yield SourceRow(record.line, {}, record.raw, record.problem)
            elif _fits(record.fields, width):
                yield SourceRow(record.line, dict(zip(columns, record.fields, strict=False)), record.raw)
            else:
                yield SourceRow(record.line, {}, record.raw,
                                f"{len(record.fields)} fields where the header has {width}: a {_shown(fmt.delimiter)} "
                                "inside a value that is not quoted, or a value missing?")
