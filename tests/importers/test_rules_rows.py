"""What each prepared rule makes of rows with real-world messy values: the row after it, and the exact
outcome (changed, reject reason, note). Dates in detail: test_rules_dates.py."""

from __future__ import annotations

from typing import Any

import pytest

from dbbasic.importers.outcome import RuleOutcome
from dbbasic.importers.rules import (
    change_case,
    default,
    map_values,
    normalize_phone,
    required,
    skip_duplicates,
    trim,
    validate_email,
)


def run(module: Any, params: dict[str, Any], row: dict[str, Any]) -> tuple[dict[str, Any], RuleOutcome]:
    outcome = module.prepare(params)(row)
    return row, outcome


US = {"fields": ["phone", "mobile"], "default_region": "US", "invalid": "reject"}


@pytest.mark.parametrize(("row", "after", "outcome"), [
    ({"phone": "(202) 555-0143", "mobile": "+44 20 7946 0958"}, {"phone": "+12025550143", "mobile": "+442079460958"},
     RuleOutcome(changed=True)),
    ({"phone": "+1 202-555-0143", "mobile": None}, {"phone": "+12025550143", "mobile": None},
     RuleOutcome(changed=True)),
    ({"phone": "+12025550143", "mobile": "  "}, {"phone": "+12025550143", "mobile": "  "}, RuleOutcome()),
    ({"phone": "9999999999", "mobile": None}, {"phone": "9999999999", "mobile": None},
     RuleOutcome(reject="phone: '9999999999': it is not a valid number in country code +1 (too short, too long, "
                        "or an unassigned range)")),
    ({"phone": "202-555-0143", "mobile": "1-800-FLOWERS"}, {"phone": "+12025550143", "mobile": "1-800-FLOWERS"},
     RuleOutcome(changed=True, reject="mobile: '1-800-FLOWERS': it contains letters (a vanity number or an "
                                      "extension?): write it in digits")),
])
def test_phones_become_e164_or_reject_the_row(row: dict[str, Any], after: dict[str, Any],
                                             outcome: RuleOutcome) -> None:
    assert run(normalize_phone, US, row) == (after, outcome)


def test_invalid_phones_may_be_kept_or_emptied_with_a_note() -> None:
    keep = {**US, "invalid": "keep"}
    assert run(normalize_phone, keep, {"phone": "n/a", "mobile": "202.555.0143"}) == (
        {"phone": "n/a", "mobile": "+12025550143"},
        RuleOutcome(changed=True, note="phone: kept as written: 'n/a': it contains letters (a vanity number or an "
                                       "extension?): write it in digits"))
    empty = {**US, "invalid": "null"}
    assert run(normalize_phone, empty, {"phone": "555-0143", "mobile": None}) == (
        {"phone": None, "mobile": None},
        RuleOutcome(changed=True, note="phone: emptied: '555-0143': it is not a valid number in country code +1 "
                                       "(too short, too long, or an unassigned range)"))


def test_the_default_region_reads_numbers_without_a_country_code() -> None:
    german = {"fields": ["phone"], "default_region": "DE", "invalid": "reject"}
    assert run(normalize_phone, german, {"phone": "030 901820"})[0] == {"phone": "+4930901820"}
    assert run(normalize_phone, german, {"phone": "+1 (202) 555-0143"})[0] == {"phone": "+12025550143"}


@pytest.mark.parametrize(("rows", "keys"), [
    ([{"email": "ann@example.com"}, {"email": "  ANN@Example.COM "}, {"email": "bob@example.com"}],
     ["ann@example.com", "ann@example.com", "bob@example.com"]),
    ([{"email": None}, {"email": ""}, {"email": "   "}], [None, None, None]),
])
def test_duplicates_match_on_a_normalised_key(rows: list[dict[str, Any]], keys: list[str | None]) -> None:
    rule = skip_duplicates.prepare({"fields": ["email"]})
    assert [rule.key(row) for row in rows] == keys
    assert all(rule(row) == RuleOutcome() for row in rows)


def test_a_key_of_several_fields_joins_them_and_needs_each() -> None:
    rule = skip_duplicates.prepare({"fields": ["first_name", "last_name"]})
    assert rule.key({"first_name": " Mary  Ann ", "last_name": "O'Neil"}) == "mary ann\x1fo'neil"
    assert rule.key({"first_name": "Mary Ann", "last_name": "o'neil"}) == "mary ann\x1fo'neil"
    assert rule.key({"first_name": "Mary", "last_name": None}) is None
    assert rule.key({"first_name": "ab", "last_name": "c"}) != rule.key({"first_name": "a", "last_name": "bc"})


@pytest.mark.parametrize(("params", "row", "after", "changed"), [
    ({"fields": "all", "collapse": False}, {"a": "  Ann ", "b": "\u00a0Lee\u200b", "c": None, "d": 3},
     {"a": "Ann", "b": "Lee", "c": None, "d": 3}, True),
    ({"fields": ["a"], "collapse": False}, {"a": "Ann  Lee", "b": " x "}, {"a": "Ann  Lee", "b": " x "}, False),
    ({"fields": ["a"], "collapse": True}, {"a": " Ann \t Lee\n", "b": " x "}, {"a": "Ann Lee", "b": " x "}, True),
    ({"fields": "all", "collapse": False}, {"a": "\ufeffid"}, {"a": "id"}, True),
])
def test_trim(params: dict[str, Any], row: dict[str, Any], after: dict[str, Any], changed: bool) -> None:
    assert run(trim, params, row) == (after, RuleOutcome(changed=changed))


@pytest.mark.parametrize(("case", "value", "expected"), [
    ("lower", "Ann.Lee@Example.COM", "ann.lee@example.com"),
    ("lower", "STRASSE", "strasse"),
    ("upper", "us", "US"),
    ("title", "MARY-JANE O'NEIL", "Mary-Jane O'Neil"),
    ("title", "mcdonald's 3rd store", "Mcdonald's 3rd Store"),
    ("title", None, None),
])
def test_change_case(case: str, value: str | None, expected: str | None) -> None:
    row, outcome = run(change_case, {"fields": ["name"], "case": case}, {"name": value})
    assert row == {"name": expected}
    assert outcome == RuleOutcome(changed=value != expected)


def test_required_rejects_empty_values_and_names_the_field() -> None:
    params = {"fields": ["email", "last_name"]}
    assert run(required, params, {"email": "a@b.co", "last_name": "Lee"})[1] == RuleOutcome()
    assert run(required, params, {"email": "a@b.co", "last_name": " \t"})[1] == RuleOutcome(
        reject="last_name: it is empty, and required")
    assert run(required, params, {"email": None})[1] == RuleOutcome(reject="email: it is empty, and required")


def test_default_fills_empty_values_only() -> None:
    params = {"fields": ["country"], "value": "US"}
    assert run(default, params, {"country": None}) == ({"country": "US"}, RuleOutcome(changed=True))
    assert run(default, params, {"country": "  "}) == ({"country": "US"}, RuleOutcome(changed=True))
    assert run(default, params, {"country": "FR"}) == ({"country": "FR"}, RuleOutcome())
    assert run(default, {"fields": ["quantity"], "value": 0}, {})[0] == {"quantity": 0}


@pytest.mark.parametrize(("value", "after", "reject"), [
    ("Ann.Lee@Example.COM", "Ann.Lee@example.com", ""),
    ("  bob@mail.example.org ", "bob@mail.example.org", ""),
    ("o'neil+tag@example.ie", "o'neil+tag@example.ie", ""),
    (None, None, ""),
    ("ann.example.com", "ann.example.com", "email: 'ann.example.com' is not an email address: it has no @"),
    ("ann@@example.com", "ann@@example.com", "email: 'ann@@example.com' is not an email address: it has more than "
                                             "one @"),
    ("@example.com", "@example.com", "email: '@example.com' is not an email address: it has nothing before the @"),
    ("ann@localhost", "ann@localhost", "email: 'ann@localhost' is not an email address: its domain 'localhost' is "
                                       "not a domain name (like example.com)"),
    ("ann@example..com", "ann@example..com", "email: 'ann@example..com' is not an email address: its domain "
                                             "'example..com' is not a domain name (like example.com)"),
    ("ann lee@example.com", "ann lee@example.com", "email: 'ann lee@example.com' is not an email address: it "
                                                   "contains spaces or one of , ; < > ( ) [ ] \\ \""),
    ("Ann <ann@example.com>", "Ann <ann@example.com>", "email: 'Ann <ann@example.com>' is not an email address: "
                                                       "it contains spaces or one of , ; < > ( ) [ ] \\ \""),
    ("a@x.com;b@y.com", "a@x.com;b@y.com", "email: 'a@x.com;b@y.com' is not an email address: it contains spaces "
                                           "or one of , ; < > ( ) [ ] \\ \""),
])
def test_emails_are_checked_and_their_domain_lower_cased(value: str | None, after: str | None, reject: str) -> None:
    row, outcome = run(validate_email, {"fields": ["email"], "invalid": "reject"}, {"email": value})
    assert row == {"email": after}
    assert outcome == RuleOutcome(changed=after != value and not reject, reject=reject)


def test_invalid_emails_may_be_kept_with_a_note() -> None:
    assert run(validate_email, {"fields": ["email"], "invalid": "keep"}, {"email": "n/a"}) == (
        {"email": "n/a"}, RuleOutcome(note="email: kept as written: 'n/a' is not an email address: it has no @"))


@pytest.mark.parametrize(("value", "expected", "changed"), [
    ("Open", "todo", True),
    ("  OPEN ", "todo", True),
    ("Closed", "done", True),
    (None, "todo", True),  # '' maps empty values
    ("todo", "todo", False),
    ("Archived", "Archived", False),  # not in the mapping: stays, and the enum cast rejects it with the values
])
def test_map_values(value: str | None, expected: str, changed: bool) -> None:
    params = {"fields": ["status"], "values": {"Open": "todo", "Closed": "done", "": "todo"}}
    assert run(map_values, params, {"status": value}) == ({"status": expected}, RuleOutcome(changed=changed))
