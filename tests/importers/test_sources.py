"""Reading import sources: real files with the quirks of real exports, each read back as exact SourceRows
(line where the record starts, values, raw text, problem)."""

from __future__ import annotations

import json
import sqlite3
import tracemalloc
from pathlib import Path

import pytest

from dbbasic.importers.headers import column_names, header_key, match_columns
from dbbasic.importers.source import SourceError, SourceFormat, SourceRow, detect, read_rows


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def rows(path: Path, fmt: SourceFormat | None = None, after_line: int = 0) -> list[SourceRow]:
    return list(read_rows(path, fmt or detect(path), after_line))


def ok(line: int, raw: str, **values: str | None) -> SourceRow:
    return SourceRow(line, values, raw)


def bad(line: int, raw: str, problem: str) -> SourceRow:
    return SourceRow(line, {}, raw, problem)


# CSV

def test_semicolon_export_with_bom_crlf_quoted_newlines_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv",
                 "\ufeffName;E-Mail;Note\r\n"
                 'Ann;ann@example.org;"first line\r\nsecond; line"\r\n'
                 "\r\n"
                 "Bob;bob@example.org;\r\n"
                 " ; ; \r\n"
                 'Chloé;chloe@example.org;"she said ""hi"""\r\n')
    fmt = detect(path)
    assert fmt == SourceFormat("csv", "utf-8-sig", ";", '"', columns=("Name", "E-Mail", "Note"))
    assert fmt.describe() == "CSV, delimiter ';', utf-8-sig"
    assert rows(path, fmt) == [
        SourceRow(2, {"Name": "Ann", "E-Mail": "ann@example.org", "Note": "first line\r\nsecond; line"},
                  'Ann;ann@example.org;"first line\r\nsecond; line"'),
        SourceRow(5, {"Name": "Bob", "E-Mail": "bob@example.org", "Note": ""}, "Bob;bob@example.org;"),
        SourceRow(7, {"Name": "Chloé", "E-Mail": "chloe@example.org", "Note": 'she said "hi"'},
                  'Chloé;chloe@example.org;"she said ""hi"""'),
    ]


@pytest.mark.parametrize(("name", "text", "delimiter", "first"), [
    ("tabs.txt", 'id\tnote\n1\t"a\tb, c"\n2\tplain, text\n', "\t", {"id": "1", "note": "a\tb, c"}),
    ("pipes.csv", 'id|tags\n1|"a,b|c"\n2|d,e\n', "|", {"id": "1", "tags": "a,b|c"}),
    # csv.Sniffer says ',' here: the commas inside the quotes outnumber the semicolons
    ("sniffer-trap.csv", 'id;text\n1;"He said, ""yes"", then left"\n2;"She said, ""no"", then stayed"\n', ";",
     {"id": "1", "text": 'He said, "yes", then left'}),
    ("spaces.csv", "first name,last name\nAnn,de la Cruz\nBob,Smith\n", ",", {"first name": "Ann", "last name": "de la Cruz"}),
])
def test_the_delimiter_is_the_one_that_gives_every_record_the_header_s_fields(
        tmp_path: Path, name: str, text: str, delimiter: str, first: dict[str, str]) -> None:
    path = write(tmp_path, name, text)
    fmt = detect(path)
    assert (fmt.delimiter, fmt.quotechar, fmt.wrapped) == (delimiter, '"', False)
    assert rows(path, fmt)[0].values == first


def test_old_mac_line_endings_count_as_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "mac.csv", 'a;b\r1;"x\ry"\r2;3\r')
    assert rows(path) == [ok(2, '1;"x\ry"', a="1", b="x\ry"), ok(4, "2;3", a="2", b="3")]


def test_single_quotes_quote_only_in_files_without_double_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "mysql.csv", "id;name;city\n1;'Ann';'Paris; FR'\n2;'O''Brien';'Cork'\n")
    assert rows(path) == [ok(2, "1;'Ann';'Paris; FR'", id="1", name="Ann", city="Paris; FR"),
                          ok(3, "2;'O''Brien';'Cork'", id="2", name="O'Brien", city="Cork")]
    assert detect(path).describe() == "CSV, delimiter ';', utf-8, quoted with \"'\""


def test_records_wrapped_in_one_extra_pair_of_quotes_are_unwrapped(tmp_path: Path) -> None:
    path = write(tmp_path, "wrapped.csv",
                 '"id,name,note"\n'
                 '"1,Ann,""hello, world"""\n'
                 '"2,Bob,""two\n'
                 'lines"""\n'
                 "3,Cid,not wrapped\n"
                 '"4,Dee"\n'
                 '",,"\n'
                 '"5,""open,x"\n')
    fmt = detect(path)
    assert fmt == SourceFormat("csv", "utf-8", ",", '"', wrapped=True, columns=("id", "name", "note"))
    assert fmt.describe() == "CSV, delimiter ',', utf-8, records wrapped in quotes"
    assert rows(path, fmt) == [
        ok(2, '"1,Ann,""hello, world"""', id="1", name="Ann", note="hello, world"),
        ok(3, '"2,Bob,""two\nlines"""', id="2", name="Bob", note="two\nlines"),
        ok(5, "3,Cid,not wrapped", id="3", name="Cid", note="not wrapped"),
        bad(6, '"4,Dee"', "2 fields where the header has 3: a ',' inside a value that is not quoted, or a value missing?"),
        bad(8, '"5,""open,x"', 'a quote (") opened on this line is never closed'),
    ]
    unwrapped = detect(path, wrapped=False)
    assert (unwrapped.wrapped, unwrapped.columns) == (False, ("id,name,note",))


def test_a_one_column_file_is_not_wrapped(tmp_path: Path) -> None:
    path = write(tmp_path, "emails.csv", '"email"\n"ann@example.org"\n\n"bob@example.org"\n')
    fmt = detect(path)
    assert (fmt.delimiter, fmt.wrapped, fmt.columns) == (",", False, ("email",))
    assert rows(path, fmt) == [ok(2, '"ann@example.org"', email="ann@example.org"),
                               ok(4, '"bob@example.org"', email="bob@example.org")]


def test_malformed_records_are_yielded_with_their_problem_and_reading_goes_on(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.csv",
                 "a,b,c\n"
                 "1,2,3\n"
                 "4,5\n"                      # a field missing
                 "6,7,8,9\n"                  # one too many
                 "10,11,12,,\n"               # empty fields past the end hold nothing: read
                 ",,\n"                       # every field empty: skipped like a blank line
                 '13,"x"y,14\n'               # text after a closing quote
                 '15,"opened,16\n'            # closes on the next line, with text after it
                 '17,"b"c,18\n'
                 "19,20,21\n"
                 '22,"never closed,23\n'      # the quote runs to the end of the file
                 "24,25,26\n")
    expected_fields = "fields where the header has 3: a ',' inside a value that is not quoted, or a value missing?"
    assert rows(path, detect(path, delimiter=",")) == [
        ok(2, "1,2,3", a="1", b="2", c="3"),
        bad(3, "4,5", f"2 {expected_fields}"),
        bad(4, "6,7,8,9", f"4 {expected_fields}"),
        ok(5, "10,11,12,,", a="10", b="11", c="12"),
        bad(7, '13,"x"y,14', "text follows a closing quote (\") before the next ',': a quote inside a quoted "
                             "value must be doubled"),
        bad(8, '15,"opened,16', 'a quote (") opened on this line closes only on line 9, with text after it; '
                                "the lines after this one are read as records of their own"),
        bad(9, '17,"b"c,18', "text follows a closing quote (\") before the next ',': a quote inside a quoted "
                             "value must be doubled"),
        ok(10, "19,20,21", a="19", b="20", c="21"),
        bad(11, '22,"never closed,23', 'a quote (") opened on this line is never closed; the lines after this one '
                                       "are read as records of their own"),
        ok(12, "24,25,26", a="24", b="25", c="26"),
    ]


def test_resuming_after_a_line_skips_the_records_that_start_at_or_before_it(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.csv", 'id,note\n1,"one\ntwo\nthree"\n2,x\n3,y\n')
    fmt = detect(path)
    assert [r.line for r in rows(path, fmt)] == [2, 5, 6]
    assert rows(path, fmt, after_line=2) == [ok(5, "2,x", id="2", note="x"), ok(6, "3,y", id="3", note="y")]
    assert [r.line for r in rows(path, fmt, after_line=4)] == [5, 6]
    assert rows(path, fmt, after_line=6) == []


def test_header_names_blank_and_repeated_are_renamed(tmp_path: Path) -> None:
    path = write(tmp_path, "dups.csv", " Phone ,,Phone,Phone_2\n1,2,3,4\n")
    fmt = detect(path)
    assert fmt.columns == ("Phone", "column_2", "Phone_3", "Phone_2")
    assert rows(path, fmt)[0].values == {"Phone": "1", "column_2": "2", "Phone_3": "3", "Phone_2": "4"}
    assert column_names(["a", "a", "a", ""]) == ("a", "a_2", "a_3", "column_4")


def test_no_header_or_no_delimiter_to_find_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no header line"):
        detect(write(tmp_path, "empty.csv", "\n\n"))
    with pytest.raises(SourceError, match=r"line 2: the header cannot be read: a quote"):
        detect(write(tmp_path, "header.csv", '\n"a,b\n'), delimiter=",")
    ragged = write(tmp_path, "ragged.csv", "a,b\n1\n1,2,3\n1,2,3,4\n5\n")
    with pytest.raises(SourceError, match=r"cannot tell the delimiter: with the likeliest, ',', only 0% of the first "
                                          r"records have the header's 2 fields; set `delimiter:`"):
        detect(ragged)
    assert [r.problem != "" for r in rows(ragged, detect(ragged, delimiter=","))] == [True, True, True, True]


def test_a_changed_header_stops_a_run(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "a,b\n1,2\n")
    fmt = detect(path)
    path.write_text("a,c\n1,2\n")
    with pytest.raises(SourceError, match=r"the header is now a, c; the plan was compiled for a, b"):
        rows(path, fmt)


# Encodings

@pytest.mark.parametrize(("data", "encoding", "name"), [
    ("id,name\n1,Zoë €\n".encode(), "utf-8", "Zoë €"),
    (b"\xef\xbb\xbfid,name\n1,Zo\xc3\xab\n", "utf-8-sig", "Zoë"),
    (b"id,name\n1,Zo\xeb \x80 \x93quoted\x94\n", "cp1252", "Zoë € “quoted”"),
    (b"id,name\n1,Zo\xeb \x81\n", "latin-1", "Zoë \x81"),  # 0x81 means nothing in cp1252
    ("id,name\n1,Zoë\n".encode("utf-16"), "utf-16", "Zoë"),
])
def test_the_encoding_is_detected(tmp_path: Path, data: bytes, encoding: str, name: str) -> None:
    path = write(tmp_path, "enc.csv", data)
    fmt = detect(path)
    assert (fmt.encoding, fmt.columns) == (encoding, ("id", "name"))
    assert rows(path, fmt)[0].values == {"id": "1", "name": name}


def test_the_encoding_is_judged_on_every_byte_not_a_sample(tmp_path: Path) -> None:
    lines = ["id,city"] + [f"{n},Paris" for n in range(1, 90_000)]
    path = write(tmp_path, "late.csv", ("\n".join(lines) + "\n").encode() + b"90000,Montr\xe9al\n")
    fmt = detect(path)
    assert fmt.encoding == "cp1252"
    assert rows(path, fmt, after_line=90_000) == [ok(90_001, "90000,Montréal", id="90000", city="Montréal")]


def test_a_file_that_mixes_encodings_is_a_source_error_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.csv", "id,city\n1,Zürich\n2,Paris\n".encode() + b"3,Montr\xe9al\n")
    with pytest.raises(SourceError, match=r"mixed.csv, line 4: byte 0xe9 is not UTF-8, but lines before it hold "
                                          r"UTF-8 text: the file mixes encodings"):
        detect(path)
    fmt = detect(path, encoding="cp1252")  # the spec decides
    assert [r.values["city"] for r in rows(path, fmt)] == ["ZÃ¼rich", "Paris", "Montréal"]


def test_encoding_set_in_the_spec_wins_and_is_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "win.csv", b"id,price\n1,\x8010\n")
    assert rows(path, detect(path, encoding="latin-1"))[0].values == {"id": "1", "price": "\x8010"}
    with pytest.raises(SourceError, match=r"win.csv, line 2: byte 0x80 is not utf-8: set `encoding:`"):
        detect(path, encoding="utf-8")
    with pytest.raises(SourceError, match="unknown `encoding: klingon`"):
        detect(path, encoding="klingon")


# JSON Lines

def test_json_lines_values_as_text_and_bad_lines_with_their_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "events.jsonl",
                 '{"id": 1, "price": 1.50, "ok": true, "note": null, "tags": ["a", 2], "at": {"tz": "UTC"}}\n'
                 "\n"
                 '{"id": 2, "name": "Zoë", "ok": false}\r\n'
                 "[1, 2]\n"
                 "not json\n"
                 "42\n")
    fmt = detect(path)
    assert fmt == SourceFormat("jsonl", columns=("id", "price", "ok", "note", "tags", "at", "name"))
    assert fmt.describe() == "JSON Lines, utf-8"
    assert rows(path, fmt) == [
        ok(1, '{"id": 1, "price": 1.50, "ok": true, "note": null, "tags": ["a", 2], "at": {"tz": "UTC"}}',
           id="1", price="1.50", ok="true", note=None, tags='["a",2]', at='{"tz":"UTC"}'),
        ok(3, '{"id": 2, "name": "Zoë", "ok": false}', id="2", name="Zoë", ok="false"),
        bad(4, "[1, 2]", "an array, not a JSON object"),
        bad(5, "not json", "not JSON: Expecting value at column 1"),
        bad(6, "42", "a number, not a JSON object"),
    ]
    assert [r.line for r in rows(path, fmt, after_line=3)] == [4, 5, 6]


def test_json_keys_first_seen_after_the_sample_are_read_but_are_no_column(tmp_path: Path) -> None:
    lines = [json.dumps({"id": n}) for n in range(1, 1001)] + [json.dumps({"id": 1001, "late": "x"})]
    path = write(tmp_path, "late.jsonl", "\n".join(lines) + "\n")
    fmt = detect(path)
    assert fmt.columns == ("id",)
    assert rows(path, fmt, after_line=1000) == [ok(1001, '{"id": 1001, "late": "x"}', id="1001", late="x")]


def test_a_json_array_is_not_json_lines(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"a JSON array, not JSON Lines: write one object per line"):
        detect(write(tmp_path, "export.json", '[\n  {"id": 1}\n]\n'))


# SQLite

def sqlite_file(tmp_path: Path, *statements: str) -> Path:
    path = tmp_path / "legacy.db"
    with sqlite3.connect(path) as db:
        for statement in statements:
            db.execute(statement)
    db.close()
    return path


def test_a_sqlite_table_by_rowid_with_values_as_text(tmp_path: Path) -> None:
    path = sqlite_file(tmp_path, "CREATE TABLE people (name TEXT, age INTEGER, score REAL, photo BLOB, note)",
                       "INSERT INTO people VALUES ('Ann', 41, 2.5, x'00ff', NULL)",
                       "INSERT INTO people VALUES ('Bob', NULL, 1e20, CAST('text' AS BLOB), 7)",
                       "INSERT INTO people VALUES ('Cid', 3, 0.0, NULL, 'x')",
                       "DELETE FROM people WHERE name = 'Bob'",
                       "INSERT INTO people VALUES ('Dee', 4, -1.25, NULL, 'y')")
    fmt = detect(path)
    assert fmt == SourceFormat("sqlite", table="people", columns=("name", "age", "score", "photo", "note"))
    assert fmt.describe() == "SQLite table 'people'"
    ann = {"name": "Ann", "age": "41", "score": "2.5", "photo": "\\x00ff", "note": None}
    assert rows(path, fmt) == [
        SourceRow(1, ann, json.dumps(ann)),
        ok(3, '{"name": "Cid", "age": "3", "score": "0.0", "photo": null, "note": "x"}',
           name="Cid", age="3", score="0.0", photo=None, note="x"),
        ok(4, '{"name": "Dee", "age": "4", "score": "-1.25", "photo": null, "note": "y"}',
           name="Dee", age="4", score="-1.25", photo=None, note="y"),
    ]
    assert [r.line for r in rows(path, fmt, after_line=1)] == [3, 4]
    path.write_bytes(path.read_bytes())  # reading left the file as it was, and can write nothing
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db, pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("DELETE FROM people")


def test_sqlite_blob_and_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = sqlite_file(tmp_path, "CREATE TABLE t (a, b)",
                       "INSERT INTO t VALUES (CAST(x'636166e9' AS TEXT), 1)",  # 'café' in latin-1
                       "INSERT INTO t VALUES (x'636166c3a9', 2)")
    fmt = detect(path)
    assert rows(path, fmt) == [
        bad(1, '{"a": "café", "b": "1"}', "a: text that is not UTF-8 (shown here as latin-1): fix it in the database"),
        ok(2, '{"a": "café", "b": "2"}', a="café", b="2"),
    ]


def test_sqlite_without_rowid_rows_are_counted(tmp_path: Path) -> None:
    path = sqlite_file(tmp_path, "CREATE TABLE codes (code TEXT PRIMARY KEY, label TEXT) WITHOUT ROWID",
                       "INSERT INTO codes VALUES ('b', 'Bee'), ('a', 'Ay'), ('c', 'See')",
                       "CREATE TABLE other (x)")
    with pytest.raises(SourceError, match=r"several tables in this database: set `table:` to one of codes, other"):
        detect(path)
    fmt = detect(path, table="codes")
    assert [(r.line, r.values["code"]) for r in rows(path, fmt)] == [(1, "a"), (2, "b"), (3, "c")]
    assert [(r.line, r.values["code"]) for r in rows(path, fmt, after_line=2)] == [(3, "c")]
    with pytest.raises(SourceError, match=r"no table 'nope' in this database \(there are: codes, other\)"):
        detect(path, table="nope")


def test_a_file_that_is_no_database_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot be read as an SQLite database"):
        detect(write(tmp_path, "legacy.sqlite", "id,name\n1,Ann\n"))


# What the file is

def test_the_format_comes_from_the_contents_then_the_name_and_the_spec_wins(tmp_path: Path) -> None:
    db = sqlite_file(tmp_path, "CREATE TABLE t (a)")
    assert detect(db.rename(tmp_path / "export.csv")).format == "sqlite"  # the SQLite header, whatever the name
    assert detect(write(tmp_path, "data", '{"a": 1}\n')).format == "jsonl"
    assert detect(write(tmp_path, "data.ndjson", '{"a": 1}\n')).format == "jsonl"
    assert detect(write(tmp_path, "data.out", "a,b\n1,2\n")).format == "csv"
    assert detect(write(tmp_path, "data.jsonl", "a,b\n1,2\n"), format="csv").columns == ("a", "b")
    with pytest.raises(SourceError, match=r"unknown `format: xml` \(formats: csv, jsonl, sqlite\)"):
        detect(tmp_path / "data.out", format="xml")
    with pytest.raises(SourceError, match=r"`table:` is for sqlite sources, and this one is csv"):
        detect(tmp_path / "data.out", table="t")
    with pytest.raises(SourceError, match="no such file"):
        detect(tmp_path / "missing.csv")
    assert detect(write(tmp_path, "t.csv", "a\tb\n1\t2\n"), delimiter="tab").delimiter == "\t"
    with pytest.raises(SourceError, match="must be one character"):
        detect(tmp_path / "t.csv", delimiter=";;")


# Headers

def test_header_key_ignores_case_spaces_and_punctuation() -> None:
    assert header_key("E-Mail Address") == header_key("email_address") == header_key("EmailAddress") == "emailaddress"
    assert header_key(" Téléphone (mobile) ") == "téléphonemobile"
    assert header_key("\uff29\uff24") == "id"  # full-width letters, as some exports write


def test_match_columns_explicit_maps_first_then_loose_names() -> None:
    columns = ["E-Mail", "First Name", "Company", "Notes", "#"]
    fields = ["email", "first_name", "organization", "company"]
    assert match_columns(columns, fields, {"company": "Organization"}) == {
        "Company": "organization", "E-Mail": "email", "First Name": "first_name"}
    assert match_columns(columns, fields, {}) == {"E-Mail": "email", "First Name": "first_name", "Company": "company"}
    with pytest.raises(ValueError, match=r"columns 'Email' and 'E-mail' both match the field 'email': add a rule "
                                         r"\"Map 'Email' field to 'email'\""):
        match_columns(["Email", "E-mail"], ["email"], {})
    assert match_columns(["Email", "E-mail"], ["email"], {"E-mail": "email"}) == {"E-mail": "email"}
    with pytest.raises(ValueError, match=r"columns 'A' and 'B' are both mapped to the field 'x'"):
        match_columns(["A", "B"], ["x"], {"A": "x", "B": "x"})


# Streaming

def peak_memory_reading(path: Path) -> int:
    """The most memory detecting and reading `path` took at once (a first detect imports the readers)."""
    detect(path)
    tracemalloc.start()
    try:
        fmt = detect(path)
        count = sum(1 for _ in read_rows(path, fmt))
        return tracemalloc.get_traced_memory()[1] if count else 0
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("suffix", "rows_few", "rows_many"), [("csv", 20_000, 200_000), ("jsonl", 10_000, 100_000)])
def test_memory_stays_flat_whatever_the_number_of_rows(tmp_path: Path, suffix: str, rows_few: int, rows_many: int) -> None:
    def generated(count: int) -> Path:
        path = tmp_path / f"{count}.{suffix}"
        with path.open("w", encoding="utf-8") as f:
            f.write("id,name,note\n" if suffix == "csv" else "")
            for n in range(count):
                if suffix == "csv":
                    f.write(f'{n},Name {n},"a note, over\ntwo lines"\n')
                else:
                    f.write(json.dumps({"id": n, "name": f"Name {n}", "note": "a note"}) + "\n")
        return path

    few, many = peak_memory_reading(generated(rows_few)), peak_memory_reading(generated(rows_many))
    assert few > 0
    assert many < few + 64 * 1024
