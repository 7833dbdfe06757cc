"""Reading an import's source: what the file is (`detect`, once, when the plan is compiled) and its records
(`read_rows`, streamed, on every run). One module per format: `csv_source`, `jsonl_source`, `sqlite_source`.

    fmt = detect(Path("specs/data/export.csv"))       # SourceFormat(format='csv', encoding='cp1252', ...)
    for row in read_rows(path, fmt, after_line=0):     # SourceRow(line=2, values={'Email': ...}, raw='...')
        ...

The plan stores the SourceFormat, so a run reads the file exactly as the reviewed plan said and never
guesses again. A file that cannot be read at all raises SourceError, saying where and what to set in the
spec; a record that cannot be read is a SourceRow with a `problem`, which the import rejects and goes on.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

FORMATS = ("csv", "jsonl", "sqlite")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
"""The bytes cp1252 leaves undefined: a file holding one is latin-1 (or something else; `encoding:` says)."""
_CHUNK = 1 << 16
"""Bytes read at a time when checking the encoding of a whole file: memory stays flat."""


class SourceError(ValueError):
    """The source cannot be read at all (not there, not a database, no header, bytes of another encoding)."""


@dataclass(frozen=True)
class SourceFormat:
    """What detection found. Stored in the plan (as `asdict`), so runs never re-sniff."""

    format: str
    """"csv", "jsonl" or "sqlite"."""
    encoding: str = "utf-8"
    """csv/jsonl: "utf-8", "utf-8-sig" (a byte order mark), "cp1252", "latin-1", "utf-16", or what `encoding:` says."""
    delimiter: str = ","
    quotechar: str = '"'
    wrapped: bool = False
    """csv: every record wrapped in one extra pair of quotes (some exporters do this)."""
    table: str = ""
    """sqlite: the table (or view) read."""
    columns: tuple[str, ...] = ()
    """The source's column names: the csv header (blank and repeated names renamed, see `headers.column_names`),
    the JSON keys of the first objects, the sqlite table's columns."""

    def describe(self) -> str:
        """One line for plan.md: "CSV, delimiter ';', cp1252, records wrapped in quotes"."""
        if self.format == "sqlite":
            return f"SQLite table {self.table!r}"
        if self.format == "jsonl":
            return f"JSON Lines, {self.encoding}"
        parts = ["CSV", f"delimiter {'tab' if self.delimiter == chr(9) else repr(self.delimiter)}", self.encoding]
        if self.quotechar != '"':
            parts.append(f"quoted with {self.quotechar!r}")
        if self.wrapped:
            parts.append("records wrapped in quotes")
        return ", ".join(parts)


@dataclass(frozen=True)
class SourceRow:
    """One record of the source."""

    line: int
    """csv/jsonl: the physical line (1-based) where the record starts; sqlite: the rowid."""
    values: dict[str, str | None] = field(hash=False)
    """Source column -> its text; {} when `problem` is set."""
    raw: str
    """The record as it is in the source (csv: its text; jsonl: the line; sqlite: JSON of the row), for rejects."""
    problem: str = ""
    """Why the record cannot be read (a wrong number of fields, a quote never closed, not JSON); "" when it can."""


def detect(path: Path, format: str | None = None, encoding: str | None = None, delimiter: str | None = None,
           table: str | None = None, wrapped: bool | None = None) -> SourceFormat:
    """What `path` is and how to read it. The arguments are the spec's `source:` keys: each one given wins over
    detection. Raises SourceError with what to set in the spec when the file cannot be read or detection
    cannot decide."""
    from dbbasic.importers import csv_source, jsonl_source, sqlite_source  # here: they import this module

    if not path.is_file():
        raise SourceError(f"{path}: no such file (`path:` is relative to the project)")
    kind = format or _guess_format(path)
    if kind not in FORMATS:
        raise SourceError(f"{path}: unknown `format: {kind}` (formats: {', '.join(FORMATS)})")
    for key, value, only in (("table", table, "sqlite"), ("encoding", encoding, "csv, jsonl"),
                             ("delimiter", delimiter, "csv"), ("wrapped", wrapped, "csv")):
        if value is not None and kind not in only:
            raise SourceError(f"{path}: `{key}:` is for {only} sources, and this one is {kind}")
    if kind == "sqlite":
        return sqlite_source.detect(path, table)
    text_encoding = check_encoding(path, encoding) if encoding else detect_encoding(path)
    if kind == "jsonl":
        return jsonl_source.detect(path, text_encoding)
    return csv_source.detect(path, text_encoding, delimiter, wrapped)


def read_rows(path: Path, fmt: SourceFormat, after_line: int = 0) -> Iterator[SourceRow]:
    """The records of `path` read as `fmt` says, those with `line > after_line`, in file order. Streams:
    memory stays flat whatever the file size."""
    from dbbasic.importers import csv_source, jsonl_source, sqlite_source

    readers = {"csv": csv_source.read_rows, "jsonl": jsonl_source.read_rows, "sqlite": sqlite_source.read_rows}
    try:
        yield from readers[fmt.format](path, fmt, after_line)
    except UnicodeDecodeError as exc:  # the file changed since detect() checked every byte
        raise SourceError(f"{path}: byte 0x{exc.object[exc.start]:02x} is not {fmt.encoding}: "
                          "the file changed since the plan was compiled; compile it again") from None


def open_text(path: Path, encoding: str) -> TextIO:
    """`path` as text, line endings kept as they are (csv needs them, and `raw` is the text as written)."""
    return path.open(encoding=encoding, newline="")


def strip_line_end(text: str) -> str:
    """`text` without the one line ending it may end with."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith(("\n", "\r")) else text


def detect_encoding(path: Path) -> str:
    """The text encoding of `path`, from every byte of it (an odd byte can come first at line 90,000):
    a byte order mark says UTF-8-sig or UTF-16; else UTF-8 when every byte is; else cp1252 (the Windows
    export) unless a byte cp1252 leaves undefined says latin-1. A file that is UTF-8 with non-ASCII text and
    then bytes that are not UTF-8 mixes encodings: SourceError, since any one choice garbles some lines."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return check_encoding(path, "utf-8-sig")
    if head.startswith(_UTF16_BOMS):
        return check_encoding(path, "utf-16")
    bad = _first_undecodable(path, "utf-8")
    if bad is None:
        return "utf-8"
    line, byte, after_text = bad
    if after_text:
        raise SourceError(f"{path}, line {line}: byte 0x{byte:02x} is not UTF-8, but lines before it hold UTF-8 "
                          "text: the file mixes encodings. Fix that line, or set `encoding:` (cp1252, latin-1) "
                          "to read every byte in that one encoding")
    return "latin-1" if _has_any_byte(path, _CP1252_UNDEFINED) else "cp1252"


def check_encoding(path: Path, encoding: str) -> str:
    """`encoding` when every byte of `path` decodes in it; SourceError at the first that does not."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise SourceError(f"{path}: unknown `encoding: {encoding}` (try utf-8, cp1252 or latin-1)") from None
    bad = _first_undecodable(path, encoding)
    if bad is not None:
        line, byte, _ = bad
        raise SourceError(f"{path}, line {line}: byte 0x{byte:02x} is not {encoding}: set `encoding:` to the "
                          "file's encoding (utf-8, cp1252, latin-1), or remove `encoding:` to have it detected")
    return encoding


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int, bool] | None:
    """(line, byte, whether non-ASCII text came before it) of the first byte `encoding` cannot decode;
    read in chunks, so memory stays flat."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines, seen_text = 1, False
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            try:
                seen_text = seen_text or not decoder.decode(chunk).isascii()
            except UnicodeDecodeError as exc:
                # exc.object is the decoder's pending bytes from the last chunk followed by this chunk
                start = max(0, exc.start - (len(exc.object) - len(chunk)))
                before = exc.object[:exc.start]
                text_before = seen_text or not before.decode(encoding, "replace").isascii()
                return lines + chunk[:start].count(b"\n"), exc.object[exc.start], text_before
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:  # the file ends inside a character
            return lines, exc.object[exc.start], seen_text
    return None


def _has_any_byte(path: Path, values: frozenset[int]) -> bool:
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            if any(bytes([value]) in chunk for value in values):
                return True
    return False


def _guess_format(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    suffix = path.suffix.casefold()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".db", ".sqlite", ".sqlite3"):
        return "sqlite"  # not a database after all: sqlite_source says so
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "jsonl" if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"{") else "csv"
