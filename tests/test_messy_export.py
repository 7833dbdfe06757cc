"""scripts/messy_export.py, the generator of messy CRM exports: the same seed gives the same bytes, the example
files in specs/data/ are what their documented commands make, and every quirk the import must handle is in them,
as a small classifier of the files' values counts (the classifier reads the files only, not the generator)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import phonenumbers
import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "specs" / "data"
sys.path.insert(0, str(REPO / "scripts"))
from messy_export import CRM_COLUMNS, LEGACY_COLUMNS, write_export  # noqa: E402  (scripts/ is not a package)

# the commands specs/data/README.md documents, one per example file
EXAMPLE_COMMANDS = {
    "crm_export.csv": "python scripts/messy_export.py --flavour crm --rows 300 --seed 5 "
                      "--out specs/data/crm_export.csv",
    "legacy_contacts.csv": "python scripts/messy_export.py --flavour legacy --rows 80 --crm-rows 300 --seed 5 "
                           "--out specs/data/legacy_contacts.csv",
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


# --- reading the files as an importer would ------------------------------------------------------------

def crm_records(path: Path = DATA / "crm_export.csv") -> list[dict[str, str]]:
    text = path.read_bytes().decode("cp1252")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def legacy_records(path: Path = DATA / "legacy_contacts.csv") -> list[list[str]]:
    """Each line is one quoted field holding the real record: unwrap it, then read that record."""
    lines = path.read_bytes().decode("utf-8-sig").split("\n")
    assert lines.pop() == ""  # the last record ends with a line end too
    wrapped = [next(csv.reader([line])) for line in lines]
    assert all(len(fields) == 1 for fields in wrapped)
    return [next(csv.reader(fields)) for fields in wrapped]


# --- the classifier --------------------------------------------------------------------------------------

def phone_kind(value: str) -> str:
    text = value.strip()
    if not text:
        return "blank" if value else "empty"
    if re.search(r"(ext\.?|x)\s*\d+$", text):
        return "extension"
    if any(c.isalpha() for c in text):
        return "not a number"
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return "not a number"
    if not phonenumbers.is_valid_number(number):
        # 00 is Europe's international prefix, not the US one (011): with US as the default region it is invalid
        return "00 prefix, invalid with region US" if re.match(r"00 ?[1-9]", text) else "invalid number"
    if text.startswith("011"):
        return "international, 011"
    if text.startswith("+"):
        return "+1" if number.country_code == 1 else "international, +"
    return "US, no country code"


VALID_PHONES = ("US, no country code", "+1", "international, +", "international, 011")
EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+")


def email_kinds(values: Iterable[str]) -> list[str]:
    first_written: dict[str, str] = {}
    kinds = []
    for value in values:
        key = value.strip().casefold()
        if not key:
            kinds.append("empty")
        elif not EMAIL.fullmatch(key):
            kinds.append("invalid")
        elif key in first_written:
            kinds.append("duplicate, other case or spaces" if value != first_written[key] else "duplicate, as is")
        elif value != value.strip():
            kinds.append("surrounding spaces")
        elif value != key:
            kinds.append("mixed case")
        else:
            kinds.append("clean")
        first_written.setdefault(key, value)
    return kinds


DATE_FORMATS = (  # name, pattern, (year, month, day) groups
    ("ISO date", r"(\d{4})-(\d{2})-(\d{2})", (1, 2, 3)),
    ("ISO date and time", r"(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}:\d{2}", (1, 2, 3)),
    ("ISO with offset", r"(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})", (1, 2, 3)),
    ("US", r"(\d{1,2})/(\d{1,2})/(\d{4})", (3, 1, 2)),
    ("US date and time", r"(\d{1,2})/(\d{1,2})/(\d{4}) \d{1,2}:\d{2} [AP]M", (3, 1, 2)),
    ("March 4, 2021", r"([A-Z][a-z]+) (\d{1,2}), (\d{4})", (3, 1, 2)),
    ("4 Mar 2021", r"(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})", (3, 2, 1)),
)


def date_kind(value: str) -> str:
    if not value.strip():
        return "empty"
    for name, pattern, order in DATE_FORMATS:
        match = re.fullmatch(pattern, value)
        if match:
            year, month, day = (match.group(i) for i in order)
            month_number = int(month) if month.isdigit() else [m[:len(month)] for m in MONTHS].index(month) + 1
            try:
                date(int(year), month_number, int(day))
            except ValueError:
                return "impossible"
            if name == "US" and int(day) <= 12 and int(day) != month_number:
                return "US, ambiguous"
            return name
    return "words" if re.fullmatch(r"[A-Za-z /]+", value) else "unclassified"


PARTICLES = {"van", "von", "de", "da", "dos", "del", "di", "le", "la", "ter", "bin", "den", "der"}


def name_features(value: str) -> set[str]:
    words = value.split()
    features = {
        "empty": not words,
        "extra spaces": bool(words) and value != " ".join(words),
        "particle": any(w.casefold() in PARTICLES for w in words[1:]),
        "non-ASCII letters": any(c.isalpha() and not c.isascii() for c in value),
        "apostrophe": "'" in value or "\u2019" in value,
        "all capitals": value.isupper(),
        "all lower case": value.islower(),
        "Last, First": "," in value,
        "title": bool(words) and words[0] in ("Dr.", "Mr.", "Ms.", "Mrs.", "Prof."),
    }
    return {feature for feature, present in features.items() if present}


def cp1252_marks(value: str) -> bool:
    """A character that cp1252 writes as a byte 0x80-0x9f, where latin-1 has control characters."""
    return any(not c.isascii() and 0x80 <= c.encode("cp1252", "replace")[0] <= 0x9F for c in value)


def text_features(value: str) -> set[str]:
    features = {
        "empty": not value,
        "newline (CRLF)": "\r\n" in value,
        "newline (LF)": "\n" in value.replace("\r\n", ""),
        "comma": "," in value,
        "semicolon": ";" in value,
        "quotes": '"' in value,
        "cp1252 marks": cp1252_marks(value),
        "non-ASCII letters": any(c.isalpha() and not c.isascii() for c in value),
        "surrounding spaces": value != value.strip(),
    }
    return {feature for feature, present in features.items() if present}


def header_key(name: str) -> str:
    return re.sub(r"[\W_]", "", name.casefold())


# --- determinism -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("flavour", "rows", "crm_rows"), [("crm", 500, None), ("legacy", 200, 500)])
def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_bytes(
        tmp_path: Path, flavour: str, rows: int, crm_rows: int | None) -> None:
    for name, seed in (("a.csv", 7), ("b.csv", 7), ("c.csv", 8)):
        write_export(tmp_path / name, rows, flavour, seed, crm_rows)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()


def test_a_short_export_is_the_start_of_a_long_one(tmp_path: Path) -> None:
    write_export(tmp_path / "short.csv", 120)
    write_export(tmp_path / "long.csv", 1000)
    short, long = (tmp_path / "short.csv").read_bytes(), (tmp_path / "long.csv").read_bytes()
    assert len(crm_records(tmp_path / "short.csv")) == 120
    assert long.startswith(short) and len(long) > len(short)


@pytest.mark.parametrize("name", EXAMPLE_COMMANDS)
def test_the_example_files_are_what_their_documented_command_makes(tmp_path: Path, name: str) -> None:
    command = EXAMPLE_COMMANDS[name]
    assert command in (DATA / "README.md").read_text(encoding="utf-8")
    arguments = command.split()[1:]
    arguments[arguments.index("--out") + 1] = str(tmp_path / name)
    subprocess.run([sys.executable, *arguments], cwd=REPO, check=True)
    assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes()


def test_a_legacy_export_needs_the_row_count_of_the_crm_export_it_repeats(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "scripts/messy_export.py", "--flavour", "legacy", "--rows", "5",
                           "--out", str(tmp_path / "legacy.csv")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert "give crm_rows" in done.stderr
    assert not (tmp_path / "legacy.csv").exists()


# --- the crm example: format and quirks -----------------------------------------------------------------

def test_the_crm_example_is_cp1252_with_semicolons_and_crlf_records() -> None:
    raw = (DATA / "crm_export.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # an importer that assumes UTF-8 fails on it
    assert any(0x80 <= byte <= 0x9F for byte in raw)  # cp1252's own marks: read as latin-1, they are garbage
    text = raw.decode("cp1252")
    records = crm_records()
    notes = [r["Notes"] for r in records]
    assert text.startswith(";".join(CRM_COLUMNS) + "\r\n")
    assert len(records) == 300
    assert all(None not in r and len(r) == len(CRM_COLUMNS) for r in records)
    # every record ends with CRLF; the other line ends are inside quoted notes
    assert text.count("\r\n") == 1 + len(records) + sum(n.count("\r\n") for n in notes)
    assert text.replace("\r\n", "").count("\n") == sum(n.replace("\r\n", "").count("\n") for n in notes)


def test_the_crm_headers_match_model_fields_by_name_except_those_a_rule_must_map() -> None:
    fields = ("email", "full_name", "phone", "organization", "created_at")
    matched = {column: field for column in CRM_COLUMNS for field in fields if header_key(column) == header_key(field)}
    assert matched == {"Full Name": "full_name", "Phone": "phone"}  # "Company" needs "Map 'Company' to ..."


# Each quirk is drawn from a deck of 100 cards per column: 300 rows hold each exactly 3 times its cards
# (specs/data/README.md lists them).

def test_every_phone_quirk_is_in_the_crm_example() -> None:
    assert Counter(phone_kind(r["Phone"]) for r in crm_records()) == {
        "US, no country code": 120, "+1": 37, "international, +": 29,  # a +1 416 (Canadian) number is "+1"
        "international, 011": 6, "00 prefix, invalid with region US": 9, "extension": 9,
        "invalid number": 21, "not a number": 9, "empty": 54, "blank": 6}


def test_every_email_quirk_is_in_the_crm_example() -> None:
    assert Counter(email_kinds(r["E-mail Address"] for r in crm_records())) == {
        "clean": 234, "mixed case": 18, "surrounding spaces": 9, "duplicate, other case or spaces": 18,
        "invalid": 12, "empty": 9}


def test_every_date_quirk_is_in_the_crm_example() -> None:
    assert Counter(date_kind(r["Created Date"]) for r in crm_records()) == {
        "ISO date": 60, "ISO date and time": 36, "ISO with offset": 15, "US": 30, "US, ambiguous": 30,
        "US date and time": 30, "March 4, 2021": 24, "4 Mar 2021": 24, "impossible": 21, "words": 12, "empty": 18}


def test_every_name_company_and_notes_quirk_is_in_the_crm_example() -> None:
    records = crm_records()
    names = Counter(f for r in records for f in name_features(r["Full Name"]))
    companies = Counter(f for r in records for f in text_features(r["Company"]))
    notes = Counter(f for r in records for f in text_features(r["Notes"]))
    assert set(names) == {"empty", "extra spaces", "particle", "non-ASCII letters", "apostrophe", "all capitals",
                          "all lower case", "Last, First", "title"}
    assert {"é", "ü", "ø"} <= set("".join(r["Full Name"] for r in records))
    assert {"empty", "comma", "semicolon", "quotes", "non-ASCII letters", "surrounding spaces"} <= set(companies)
    assert {"empty", "newline (CRLF)", "newline (LF)", "comma", "semicolon", "quotes", "cp1252 marks"} <= set(notes)
    assert notes["empty"] > len(records) / 2  # most contacts have no notes


# --- the legacy example ----------------------------------------------------------------------------------

def test_the_legacy_example_is_utf8_with_a_bom_and_every_record_wrapped_in_quotes() -> None:
    raw = (DATA / "legacy_contacts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + b'"name,email,phone,company,signup"\n')
    assert b"\r" not in raw
    text = raw.decode("utf-8-sig")
    with pytest.raises(UnicodeEncodeError):
        text.encode("cp1252")  # names that only UTF-8 holds (Łukasz, Dvořák)
    records = legacy_records()
    assert tuple(records[0]) == LEGACY_COLUMNS
    assert len(records) == 81 and all(len(r) == len(LEGACY_COLUMNS) for r in records)
    assert {"comma", "quotes"} <= {f for r in records[1:] for f in text_features(r[3])}  # quoted inside the wrap


def test_some_legacy_rows_repeat_emails_of_crm_rows_that_the_crm_import_keeps() -> None:
    crm = crm_records()
    crm_by_key: dict[str, dict[str, str]] = {}
    for record in crm:
        crm_by_key.setdefault(record["E-mail Address"].strip().casefold(), record)
    legacy = legacy_records()[1:]
    repeats = [crm_by_key[key] for r in legacy
               if EMAIL.fullmatch(key := r[1].strip().casefold()) and key in crm_by_key]
    assert 1 <= len(repeats) <= len(legacy) / 10  # a few
    for original in repeats:  # valid in every field, so the crm import keeps it: the legacy row is the duplicate
        assert email_kinds([original["E-mail Address"]]) == ["clean"]
        assert phone_kind(original["Phone"]) in (*VALID_PHONES, "empty")
        assert date_kind(original["Created Date"]) in ("ISO date", "ISO date and time", "US", "March 4, 2021",
                                                       "4 Mar 2021")
    keys = [r[1].strip().casefold() for r in legacy if r[1].strip()]
    assert len(keys) == len(set(keys))  # no repeats within the legacy file itself


def test_the_classifier_knows_every_value_of_a_large_export(tmp_path: Path) -> None:
    write_export(tmp_path / "crm.csv", 3000, seed=11)
    records = crm_records(tmp_path / "crm.csv")
    assert "unclassified" not in {date_kind(r["Created Date"]) for r in records}
    valid = [r["Phone"] for r in records if phone_kind(r["Phone"]) in VALID_PHONES]
    assert len(valid) == 3000 * 64 // 100  # the deck's valid share, exactly: no pattern makes an invalid number
