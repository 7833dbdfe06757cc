"""Realistic messy contact exports, seeded: the example project's import data and the import benchmark's input.

Two flavours of the same contacts (for the `users` table: email, full_name, phone, organization, created_at):
- `crm`, a SalesForce-like export: columns "Full Name", "E-mail Address", "Phone", "Company", "Created Date",
  "Notes"; semicolon-delimited, cp1252, CRLF line ends, fields quoted only when they must be;
- `legacy`, an old app's dump: columns "name", "email", "phone", "company", "signup"; comma-delimited, UTF-8
  with a BOM, LF line ends, every record (the header too) wrapped in one extra pair of quotes. Some of its rows
  repeat the email of a clean row of the crm export made with the same seed (`crm_rows` tells how long that
  export is), so an import after the crm one must skip them as duplicates of rows already in the table.

Each column's quirk (its "kind": a phone with an extension, an impossible date, ...) is drawn from a shuffled
deck (`CRM_KINDS`, `LEGACY_KINDS`): every block of as many rows as the deck has cards holds each kind exactly
its count. So rates are exact at any size and every quirk is in every file of a few hundred rows. Rows never
depend on how many follow: a file of N rows is the first N rows of any longer one. Output is a function of
(flavour, rows, seed, crm_rows) alone: no clock, no locale (month names are spelled here), no hash order.
Memory stays flat: rows are written as they are made.

    python scripts/messy_export.py --rows 1000000 --out /tmp/contacts.csv
    python scripts/messy_export.py --flavour legacy --rows 80 --crm-rows 300 --out /tmp/legacy.csv

specs/data/README.md gives the commands that make the example files.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import unicodedata
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import chain, count, islice
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
SEED = 5
FLAVOURS = ("crm", "legacy")
CRM_COLUMNS = ("Full Name", "E-mail Address", "Phone", "Company", "Created Date", "Notes")
LEGACY_COLUMNS = ("name", "email", "phone", "company", "signup")

# kind -> cards in the column's deck (so, per deck size, its rate)
CRM_KINDS: dict[str, dict[str, int]] = {
    "origin": {"plain": 36, "accented": 8, "particle": 4, "apostrophe": 2},
    "name": {"plain": 36, "extra_spaces": 4, "upper": 2, "lower": 2, "last_first": 2, "title": 2, "empty": 2},
    "email": {"clean": 78, "mixed_case": 6, "spaces": 3, "duplicate": 6, "invalid": 4, "empty": 3},
    "phone": {"us": 40, "us_plus1": 12, "intl_plus": 10, "intl_011": 2, "intl_00": 3, "extension": 3,
              "placeholder": 4, "too_short": 3, "junk": 3, "empty": 18, "blank": 2},
    "company": {"plain": 30, "comma": 5, "quotes": 2, "semicolon": 2, "accented": 4, "padded": 2, "empty": 5},
    "created": {"iso_date": 20, "iso_datetime": 12, "iso_offset": 5, "us_date": 10, "us_ambiguous": 10,
                "us_datetime": 10, "long": 8, "short": 8, "impossible": 7, "words": 4, "empty": 6},
    "notes": {"empty": 70, "plain": 10, "punctuation": 6, "newline_lf": 4, "newline_crlf": 3, "quotes": 4,
              "cp1252_marks": 3},
}
LEGACY_KINDS: dict[str, dict[str, int]] = {
    **CRM_KINDS,
    # UTF-8, so names that cp1252 cannot hold
    "origin": {"plain": 34, "accented": 8, "particle": 4, "apostrophe": 2, "non_cp1252": 2},
    # a deck of 20: a few crm duplicates in every 20 rows, so even a short file has them
    "email": {"clean": 15, "mixed_case": 1, "spaces": 1, "crm_duplicate": 1, "invalid": 1, "empty": 1},
}
# kinds that any reasonable import rules keep or normalise: a crm row with only these is imported for sure
CLEAN_KINDS = {
    "name": {"plain", "extra_spaces", "upper", "lower", "title"},
    "email": {"clean"},
    "phone": {"us", "us_plus1", "intl_plus", "intl_011", "empty"},
    "created": {"iso_date", "iso_datetime", "us_date", "long", "short"},
}

FIRST_NAMES = ("Ann", "James", "Maria", "Robert", "Linda", "Michael", "Sarah", "David", "Emily", "Daniel", "Laura",
               "Kevin", "Grace", "Thomas", "Olivia", "Peter", "Hannah", "Mark", "Julia", "Samuel", "Rachel", "Brian",
               "Nina", "George")
LAST_NAMES = ("Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark", "Lewis", "Walker", "Hall",
              "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Carter", "Mitchell", "Turner",
              "Parker", "Evans")
ACCENTED_FIRST = ("José", "Zoë", "François", "Björn", "Søren", "Chloé", "Jürgen", "Inés", "Renée", "Agnès", "Mónica",
                  "Håkon", "Noémie", "Åsa")
ACCENTED_LAST = ("Müller", "Lefèvre", "Kjærgaard", "Núñez", "García", "Gómez", "Böhm", "Sørensen", "Höglund",
                 "Ørsted", "Jäger", "Brandão", "Ibáñez", "Strauß")
PARTICLE_LAST = ("van den Berg", "de la Cruz", "von Hagen", "da Silva", "dos Santos", "van Dijk", "de Vries",
                 "le Roux", "del Río", "di Stefano", "ter Horst", "bin Hassan")
# \u2019 (a curly apostrophe) is byte 0x92 in cp1252 and a control character in latin-1
APOSTROPHE_LAST = ("O\u2019Brien", "D\u2019Angelo", "O'Neil", "N\u2019Diaye", "O\u2019Connor")
NON_CP1252_NAMES = (("Łukasz", "Wąsik"), ("Jiří", "Dvořák"), ("Ştefan", "Ţurcanu"), ("Dương", "Nguyễn"),
                    ("Ayşe", "Y\u0131lmaz"))
TITLES = ("Dr.", "Mr.", "Ms.", "Prof.", "Mrs.")

COMPANY_BASES = ("Acme", "Globex", "Initech", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Wide World Importers",
                 "Blue Yonder", "Litware", "Proseware", "Adventure Works", "Woodgrove", "Fourth Coffee",
                 "Alpine Ski House", "Lucerne Publishing", "Wingtip Toys", "Coho Winery", "Trey Research")
COMPANY_SUFFIXES = ("Corp", "Inc.", "LLC", "Ltd", "Group", "& Co.", "")
COMPANY_QUOTED = ('"Blue Door" Bakery', 'The "Green" Grocer', 'Studio "Nord"', '"Best Value" Hardware')
COMPANY_SEMICOLON = ("Smith; Jones LLP", "Baker; Partners", "Lewis; Clark Consulting")
COMPANY_ACCENTED = ("Müller & Söhne GmbH", "Café Lumière", "Søndergaard ApS", "Crème Brûlée SARL",
                    "Zürich Rückversicherung", "Peñarol Exportaciones")
LAST_NAMES_BY_ORIGIN = {"accented": ACCENTED_LAST, "particle": PARTICLE_LAST, "apostrophe": APOSTROPHE_LAST}
COMPANY_BY_KIND = {"quotes": COMPANY_QUOTED, "semicolon": COMPANY_SEMICOLON, "accented": COMPANY_ACCENTED,
                   "empty": ("",)}
PERSONAL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")

US_AREAS = ("201", "202", "206", "212", "213", "305", "312", "404", "415", "503", "512", "602", "617", "646",
            "702", "713", "718", "773", "808", "917")
US_FORMATS = ("({a}) {e}-{s}", "{a}-{e}-{s}", "{a}.{e}.{s}", "{a}{e}{s}", "1-{a}-{e}-{s}", "{a} {e} {s}")
US_PLUS1_FORMATS = ("+1 {a} {e} {s}", "+1{a}{e}{s}", "+1 ({a}) {e}-{s}", "+1-{a}-{e}-{s}")
# X: any digit; every number these make is valid for libphonenumber (tests/test_messy_export.py checks)
INTL_PATTERNS = ("+44 20 7946 0XXX", "+33 1 42 68 XX XX", "+49 30 9018 20XX", "+61 2 9374 4XXX", "+34 912 345 XXX",
                 "+39 06 1234 XXXX", "+81 3 1234 XXXX", "+353 1 234 XXXX", "+52 55 1234 XXXX", "+46 8 123 456 XX",
                 "+45 32 12 XX XX", "+47 22 12 XX XX", "+1 416 555 01XX", "+31 20 123 XXXX", "+41 44 668 XX XX")
EXTENSION_MARKS = (" ext. ", " x", " ext ", " x ")
PHONE_PLACEHOLDERS = ("9999999999", "000-000-0000", "123-456-7890", "1234", "555-555-5555")
PHONE_JUNK = ("n/a", "N/A", "none", "-", "TBD", "ask reception")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
FIRST_DAY = datetime(2015, 1, 1)
SECONDS_SPAN = int((datetime(2025, 1, 1) - FIRST_DAY).total_seconds())
NON_LEAP_YEARS = (2015, 2017, 2018, 2019, 2021, 2022, 2023)
DATE_WORDS = ("Yesterday", "today", "last week", "N/A", "unknown", "TBD")
UTC_OFFSETS = ("Z", "+00:00", "+01:00", "+02:00", "-05:00", "-08:00")

NOTES_PLAIN = ("Met at the trade fair", "Prefers email", "Wants a demo next quarter", "Renewal due in spring",
               "Referred by a customer", "Asked for the enterprise plan", "Out of office until Monday")
NOTES_PUNCTUATION = ("Interested in: pricing, onboarding; support", "Call back Tue, Thu; not Fri",
                     "Decision makers: CFO, CTO; budget approved", "Sizes S, M, L; colours red, blue")
NOTES_LINES = (("Call after 5pm", "Ask for the billing contact"), ("Visited the booth", "Sent brochure, no reply"),
               ("Line 1 of the address", "Suite 200; back entrance"))
NOTES_QUOTES = ('Said "call me after the 15th"', 'Wants the "Pro" plan, not "Team"', 'Signed as "J. Smith"',
                '12" display; asked "is it in stock?"')
# cp1252's own marks (bytes 0x80-0x9f): € \u2013 (en dash) \u2026 \u201c \u201d \u2019 \u2022 (bullet)
NOTES_CP1252 = ("Budget ~5.000 € \u2013 decision in Q2\u2026", "\u201cVIP\u201d customer \u2013 handle with care",
                "Contact\u2019s assistant: ask for Zoë", "Price quoted: 1.200 € \u2022 renewal yearly")
NOTES_BY_KIND = {"plain": NOTES_PLAIN, "punctuation": NOTES_PUNCTUATION, "quotes": NOTES_QUOTES,
                 "cp1252_marks": NOTES_CP1252}


@dataclass(frozen=True)
class Person:
    number: int      # makes the email unique: two people share an email only when a quirk says so
    first: str
    last: str
    company: str
    email: str       # as the person would type it: lower case, trimmed


@dataclass(frozen=True)
class Contact:
    """One exported row, before it becomes a record of a flavour."""
    person: Person
    kinds: dict[str, str]    # column -> the quirk drawn for it
    name: str
    email: str
    phone: str
    company: str
    created: str
    notes: str

    @property
    def clean(self) -> bool:
        """Every value is one the import keeps or normalises, and the email is this person's first."""
        return all(self.kinds[column] in kinds for column, kinds in CLEAN_KINDS.items())


class Seeded(random.Random):
    """random.Random with a picker that costs one C call: `choice` goes through Python code, and a million
    rows draw some twenty values each."""

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def below(self, n: int) -> int:
        return int(self.random() * n)


class Deck:
    """The kinds of one column, drawn without replacement and reshuffled when the deck is empty."""

    def __init__(self, counts: Mapping[str, int], rng: Seeded) -> None:
        self._cards = [kind for kind, count in counts.items() for _ in range(count)]
        self._left: list[str] = []
        self._rng = rng

    def draw(self) -> str:
        if not self._left:
            self._left = self._cards[:]
            self._rng.shuffle(self._left)
        return self._left.pop()


def contacts(flavour: str, seed: int = SEED, first_number: int = 1,
             crm_duplicates: Iterator[Person] | None = None) -> Iterator[Contact]:
    """The flavour's contacts, endless; people are numbered from `first_number`; `crm_duplicates` gives the
    people that `crm_duplicate` emails repeat (a `duplicate` repeats one of the last 50 people of this stream)."""
    rng = Seeded(f"{flavour}-{seed}")
    decks = {column: Deck(counts, rng) for column, counts in
             (LEGACY_KINDS if flavour == "legacy" else CRM_KINDS).items()}
    crm_duplicates = crm_duplicates or iter(())
    recent: deque[Person] = deque(maxlen=50)  # people whose email was written readably: duplicates repeat them
    for number in count(first_number):
        kinds = {column: deck.draw() for column, deck in decks.items()}
        repeated = _repeated_person(rng, kinds["email"], recent, crm_duplicates)
        if repeated is None:
            if kinds["email"] in ("duplicate", "crm_duplicate"):
                kinds["email"] = "clean"  # nobody to repeat (yet, or any more)
            person = _person(rng, number, kinds["origin"], kinds["company"])
        else:
            person = repeated
        if kinds["email"] in ("clean", "mixed_case", "spaces"):
            recent.append(person)
        yield Contact(person, kinds, name=_name(rng, person, kinds["name"]), email=_email(rng, person, kinds["email"]),
                      phone=_phone(rng, kinds["phone"]), company=person.company,
                      created=_created(rng, kinds["created"]), notes=_notes(rng, kinds["notes"]))


def _repeated_person(rng: Seeded, kind: str, recent: deque[Person], crm_duplicates: Iterator[Person]
                     ) -> Person | None:
    if kind == "duplicate" and recent:
        return rng.pick(recent)
    if kind == "crm_duplicate":
        return next(crm_duplicates, None)
    return None


def _person(rng: Seeded, number: int, origin: str, company_kind: str) -> Person:
    if origin == "non_cp1252":
        first, last = rng.pick(NON_CP1252_NAMES)
    else:
        first = rng.pick(ACCENTED_FIRST if origin == "accented" and rng.random() < 0.6 else FIRST_NAMES)
        last = rng.pick(LAST_NAMES_BY_ORIGIN.get(origin, LAST_NAMES))
    base = rng.pick(COMPANY_BASES)
    if company_kind == "plain":
        company = f"{base} {rng.pick(COMPANY_SUFFIXES)}".rstrip()
    elif company_kind == "comma":
        company = f"{base}, {rng.pick(('Inc.', 'LLC', 'Ltd.'))}"
    elif company_kind == "padded":
        company = f"  {base} {rng.pick(COMPANY_SUFFIXES)} "
    else:
        company = rng.pick(COMPANY_BY_KIND[company_kind])
    f, la = _ascii_slug(first), _ascii_slug(last)
    local = rng.pick((f"{f}.{la}{number}", f"{f[0]}{la}{number}", f"{f}_{la}{number}", f"{f}{number}"))
    domain = f"{_ascii_slug(company)}.example" if company and rng.random() < 0.5 else rng.pick(PERSONAL_DOMAINS)
    return Person(number, first, last, company, f"{local}@{domain}")


_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "ł": "l", "Ł": "L", "\u0131": "i"})


@cache  # names and companies come from small pools
def _ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode().lower())


def _name(rng: Seeded, person: Person, kind: str) -> str:
    first, last = person.first, person.last
    if kind == "plain":
        return f"{first} {last}"
    if kind == "extra_spaces":
        return f"{' ' * rng.below(3)}{first}{' ' * (2 + rng.below(2))}{last}{' ' * (1 + rng.below(2))}"
    if kind == "upper":
        return f"{first} {last}".upper()
    if kind == "lower":
        return f"{first} {last}".lower()
    if kind == "last_first":
        return f"{last}, {first}"
    if kind == "title":
        return f"{rng.pick(TITLES)} {first} {last}"
    return ""


def _email(rng: Seeded, person: Person, kind: str) -> str:
    email = person.email
    if kind == "clean":
        return email
    local, domain = email.split("@")
    if kind in ("duplicate", "crm_duplicate"):  # the same address typed again: other case, stray spaces
        return f"{' ' * rng.below(2)}{_mixed_case(local, domain)} "
    if kind == "mixed_case":
        return _mixed_case(local, domain) if rng.random() < 0.8 else email.upper()
    if kind == "spaces":
        return f"{' ' * (1 + rng.below(2))}{email}{' ' * rng.below(3)}"
    if kind == "invalid":
        return rng.pick((f"{local}@", f"{local} at {domain}", f"{local}@@{domain}", f"@{domain}",
                         f"{local}@{domain.replace('.', ',')}", f"{local.split('.')[0]} {local}@{domain}", "n/a"))
    return rng.pick(("", "", "", " "))


def _mixed_case(local: str, domain: str) -> str:
    return _WORD.sub(lambda m: m.group().capitalize(), f"{local}@{domain}")


_WORD = re.compile(r"[a-z]+")


def _phone(rng: Seeded, kind: str) -> str:
    if kind in ("us", "us_plus1", "extension", "too_short"):
        a, e, s = rng.pick(US_AREAS), "555", f"01{rng.below(100):02d}"  # 555-01xx: fictional, and valid
        if kind == "too_short":
            return f"{e}-{s}"
        number = rng.pick(US_PLUS1_FORMATS if kind == "us_plus1" else US_FORMATS).format(a=a, e=e, s=s)
        return f"{number}{rng.pick(EXTENSION_MARKS)}{2 + rng.below(998)}" if kind == "extension" else number
    if kind.startswith("intl"):
        number = "".join(str(rng.below(10)) if c == "X" else c for c in rng.pick(INTL_PATTERNS))
        # 011 is the US international prefix; 00 is Europe's, which a US default region does not read
        prefix = {"intl_plus": "+", "intl_011": "011 ", "intl_00": "00 " if rng.random() < 0.5 else "00"}[kind]
        return prefix + number[1:]
    if kind == "placeholder":
        return rng.pick(PHONE_PLACEHOLDERS)
    if kind == "junk":
        return rng.pick(PHONE_JUNK)
    if kind == "blank":
        return " " * (1 + rng.below(3))
    return ""


def _created(rng: Seeded, kind: str) -> str:
    at = FIRST_DAY + timedelta(seconds=rng.below(SECONDS_SPAN))
    y, m, d = at.year, at.month, at.day
    if kind == "us_ambiguous":  # both orders valid and different: 03/04 is March 4 or April 3
        d = rng.pick([day for day in range(1, 13) if day != m])
    elif kind == "us_date" and d <= 12 and d != m:
        d = 13 + rng.below(16)
    if kind == "iso_date":
        return f"{y}-{m:02d}-{d:02d}"
    if kind in ("iso_datetime", "iso_offset"):
        clock = f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}"
        if kind == "iso_offset":
            return f"{y}-{m:02d}-{d:02d}T{clock}{rng.pick(UTC_OFFSETS)}"
        return f"{y}-{m:02d}-{d:02d}{rng.pick(('T', ' '))}{clock}"
    if kind == "us_date":
        return f"{m:02d}/{d:02d}/{y}" if rng.random() < 0.5 else f"{m}/{d}/{y}"
    if kind == "us_ambiguous":
        return f"{m:02d}/{d:02d}/{y}"
    if kind == "us_datetime":
        return f"{m}/{d}/{y} {at.hour % 12 or 12}:{at.minute:02d} {'AM' if at.hour < 12 else 'PM'}"
    if kind == "long":
        return f"{MONTHS[m - 1]} {d}, {y}"
    if kind == "short":
        return f"{d} {MONTHS[m - 1][:3]} {y}"
    if kind == "impossible":
        bad_month = rng.pick((13, 14))
        return rng.pick((f"{y}-02-30", f"{y}-{bad_month}-{d:02d}", f"02/30/{y}", f"{y}-04-31",
                         f"{rng.pick(NON_LEAP_YEARS)}-02-29", f"{bad_month}/{d:02d}/{y}"))
    if kind == "words":
        return rng.pick(DATE_WORDS)
    return ""


def _notes(rng: Seeded, kind: str) -> str:
    if kind == "empty":
        return ""
    if kind in ("newline_lf", "newline_crlf"):
        return ("\n" if kind == "newline_lf" else "\r\n").join(rng.pick(NOTES_LINES))
    return rng.pick(NOTES_BY_KIND[kind])


def write_export(out: Path | str, rows: int, flavour: str = "crm", seed: int = SEED,
                 crm_rows: int | None = None) -> None:
    """Write `rows` contacts of `flavour` to `out`. A legacy export needs `crm_rows`: the row count of the crm
    export (same seed) whose emails some of its rows repeat."""
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}, not {flavour!r}")
    if rows < 0:
        raise ValueError(f"rows must be 0 or more, not {rows}")
    if flavour == "crm":
        with open(out, "w", encoding="cp1252", newline="") as file:
            writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
            writer.writerow(CRM_COLUMNS)
            for c in islice(contacts("crm", seed), rows):
                writer.writerow((c.name, c.email, c.phone, c.company, c.created, c.notes))
        return
    if crm_rows is None or crm_rows < 0:
        raise ValueError("a legacy export repeats emails of the crm export made with the same seed: "
                         "give crm_rows, that export's row count")
    people = contacts("legacy", seed, first_number=crm_rows + 1,
                      crm_duplicates=clean_crm_people(seed, crm_rows))
    with open(out, "w", encoding="utf-8-sig", newline="") as file:
        record = io.StringIO()
        writer = csv.writer(record, delimiter=",", lineterminator="")
        rows_values = ((c.name, c.email, c.phone, c.company, c.created) for c in islice(people, rows))
        for values in chain([LEGACY_COLUMNS], rows_values):
            record.seek(0)
            record.truncate()
            writer.writerow(values)
            file.write('"' + record.getvalue().replace('"', '""') + '"\n')


def clean_crm_people(seed: int, crm_rows: int, sample: int = 64) -> Iterator[Person]:
    """People of clean rows among the first `crm_rows` of the crm export, a uniform sample of at most `sample`
    (reservoir sampling: memory stays flat however long that export is), in a seeded order."""
    rng = random.Random(f"crm-duplicates-{seed}")
    chosen: list[Person] = []
    for seen, contact in enumerate(c for c in islice(contacts("crm", seed), crm_rows) if c.clean):
        if seen < sample:
            chosen.append(contact.person)
        elif (slot := rng.randrange(seen + 1)) < sample:
            chosen[slot] = contact.person
    rng.shuffle(chosen)
    yield from chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, required=True, help="data rows to write")
    parser.add_argument("--out", type=Path, required=True, help="the file to write")
    parser.add_argument("--flavour", choices=FLAVOURS, default="crm")
    parser.add_argument("--seed", type=int, default=SEED, help=f"default {SEED}")
    parser.add_argument("--crm-rows", type=int, help="legacy: row count of the crm export whose emails it repeats")
    args = parser.parse_args(argv)
    try:
        write_export(args.out, args.rows, args.flavour, args.seed, args.crm_rows)
    except ValueError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
