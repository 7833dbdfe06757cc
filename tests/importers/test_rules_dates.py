"""parse_dates on the dates real exports hold: the exact value written, the reject reason, the note."""

from __future__ import annotations

from typing import Any

import pytest

from dbbasic.importers.outcome import RuleOutcome
from dbbasic.importers.rules import parse_dates


def parse(value: Any, dayfirst: bool = False, zone: str | None = None) -> tuple[Any, RuleOutcome]:
    params: dict[str, Any] = {"fields": ["d"], "dayfirst": dayfirst}
    if zone:
        params["zone"] = zone
    row = {"d": value}
    outcome = parse_dates.prepare(params)(row)
    return row["d"], outcome


@pytest.mark.parametrize(("value", "expected"), [
    ("2020-01-02", "2020-01-02"),
    ("20200102", "2020-01-02"),
    (" 2020-01-02 ", "2020-01-02"),
    ("2020/01/02", "2020-01-02"),
    ("2020.1.2", "2020-01-02"),
    ("12/25/2020", "2020-12-25"),
    ("12-25-2020", "2020-12-25"),
    ("Jan 5 2020", "2020-01-05"),
    ("Jan. 5, 2020", "2020-01-05"),
    ("January 5th, 2020", "2020-01-05"),
    ("Sunday, January 5, 2020", "2020-01-05"),
    ("5 January 2020", "2020-01-05"),
    ("5-Jan-2020", "2020-01-05"),
    ("05 Sept 2020", "2020-09-05"),
    ("5th of January 2020", "2020-01-05"),  # dateutil's
    ("2020-02-29", "2020-02-29"),
    # with a time of day
    ("2020-01-02T03:04:05", "2020-01-02T03:04:05"),
    ("2020-01-02 03:04", "2020-01-02T03:04:00"),
    ("12/25/2020 14:30", "2020-12-25T14:30:00"),
    ("12/25/2020 2:30:15 PM", "2020-12-25T14:30:15"),
    ("12/25/2020 12:00 AM", "2020-12-25T00:00:00"),
    ("Jan 5 2020 3pm", "2020-01-05T15:00:00"),
    ("2020-01-02 03:04:05.250", "2020-01-02T03:04:05.250000"),
    # absolute times become UTC text
    ("2020-01-02T03:04:05Z", "2020-01-02T03:04:05.000Z"),
    ("2020-01-02T03:04:05+01:00", "2020-01-02T02:04:05.000Z"),
    ("12/25/2020 14:30 -0500", "2020-12-25T19:30:00.000Z"),
    ("Tue, 05 Jan 2021 10:00:00 +0100", "2021-01-05T09:00:00.000Z"),
    ("Jan 5 2020 3pm UTC", "2020-01-05T15:00:00.000Z"),
])
def test_dates_are_read_exactly(value: str, expected: str) -> None:
    assert parse(value) == (expected, RuleOutcome(changed=expected != value))


def test_iso_dates_are_never_read_day_first() -> None:
    # released dateutil with dayfirst=True reads 2020-01-02 as February 1st
    assert parse("2020-01-02", dayfirst=True) == ("2020-01-02", RuleOutcome())
    assert parse("2020-01-02T10:00", dayfirst=True)[0] == "2020-01-02T10:00:00"


@pytest.mark.parametrize(("value", "dayfirst", "expected", "note"), [
    ("03/04/2020", False, "2020-03-04",
     "ambiguous: '03/04/2020' read as 2020-03-04 (month first; day first would be 2020-04-03)"),
    ("03/04/2020", True, "2020-04-03",
     "ambiguous: '03/04/2020' read as 2020-04-03 (day first; month first would be 2020-03-04)"),
    ("3.4.2020 10:00", True, "2020-04-03T10:00:00",
     "ambiguous: '3.4.2020 10:00' read as 2020-04-03 (day first; month first would be 2020-03-04)"),
    ("25/12/2020", False, "2020-12-25",
     "'25/12/2020' read as 2020-12-25: only day first makes it a date, and the rule reads month first"),
    ("12/25/2020", True, "2020-12-25",
     "'12/25/2020' read as 2020-12-25: only month first makes it a date, and the rule reads day first"),
    ("12/25/20", False, "2020-12-25", "two-digit year '20' read as 2020"),
    ("05-Jan-69", False, "1969-01-05", "two-digit year '69' read as 1969"),
    ("1 2 2003", False, "2003-01-02",
     "ambiguous: '1 2 2003' read as 2003-01-02 (month first; the other order would be 2003-02-01)"),
])
def test_a_value_the_order_decides_is_kept_and_noted(value: str, dayfirst: bool, expected: str, note: str) -> None:
    assert parse(value, dayfirst) == (expected, RuleOutcome(changed=True, note=f"d: {note}"))


def test_equal_day_and_month_are_not_ambiguous() -> None:
    assert parse("04/04/2020") == ("2020-04-04", RuleOutcome(changed=True))


@pytest.mark.parametrize(("value", "reason"), [
    ("2020-14-01", "'2020-14-01' is not a date: there is no month 14"),
    ("2020/02/30", "'2020/02/30' is not a date: February 2020 has 29 days"),
    ("2021-02-29", "'2021-02-29' is not a date: February 2021 has 28 days"),
    ("0000-00-00", "'0000-00-00' is not a date: there is no year 0"),
    ("13/13/2020", "'13/13/2020' is not a date: there is no month 13"),
    ("02/30/2020", "'02/30/2020' is not a date: February 2020 has 29 days"),
    ("Feb 30 2020", "'Feb 30 2020' is not a date: February 2020 has 29 days"),
    ("12/25/2020 25:00", "'12/25/2020 25:00' is not a time: 25:00:00"),
    ("12/25/2020 13:00 PM", "'12/25/2020 13:00 PM' is not a time: hour 13 with PM"),
    ("2020-01-02 03:04:05.1234567", "'2020-01-02 03:04:05.1234567' is more precise than a microsecond"),
    ("Yesterday", "'Yesterday' is not a date"),
    ("N/A", "'N/A' is not a date"),
    ("TBD", "'TBD' is not a date"),
    ("43831", "'43831' is not a date"),
    ("March 2020", "'March 2020' is not a whole date: it has no day"),
    ("Feb 29", "'Feb 29' is not a whole date: it has no year"),
    ("12", "'12' is not a whole date: it has no year and no month"),
    ("Jan 5 2020 3pm EST", "'Jan 5 2020 3pm EST': the time zone EST is not one dbbasic reads: write an offset "
                           "like -05:00"),
    ("2020-01-02T03:04:05.000123Z", "'2020-01-02T03:04:05.000123Z': it has sub-millisecond precision, which "
                                    "dbbasic's timestamp text does not keep"),
])
def test_impossible_dates_and_words_reject_the_row_with_the_reason(value: str, reason: str) -> None:
    assert parse(value) == (value, RuleOutcome(reject=f"d: {reason}"))


@pytest.mark.parametrize("value", [None, "", "   "])
def test_blank_values_are_left_alone(value: str | None) -> None:
    assert parse(value) == (value, RuleOutcome())


def test_a_zone_reads_naive_times_there_and_writes_utc() -> None:
    assert parse("2024-07-01 09:00", zone="Europe/Paris") == ("2024-07-01T07:00:00.000Z", RuleOutcome(changed=True))
    assert parse("2024-07-01", zone="Europe/Paris") == ("2024-07-01", RuleOutcome())  # a date has no zone
    assert parse("2024-07-01T09:00:00+02:00", zone="America/New_York")[0] == "2024-07-01T07:00:00.000Z"
    assert parse("Mar 10 2024 2:30 AM", zone="America/New_York") == (
        "2024-03-10T07:30:00.000Z",
        RuleOutcome(changed=True, note="d: 02:30 does not exist in America/New_York on 2024-03-10; read as 03:30 EDT"))
    assert parse("Nov 3 2024 1:30 AM", zone="America/New_York") == (
        "2024-11-03T05:30:00.000Z",
        RuleOutcome(changed=True, note="d: 01:30 happened twice in America/New_York on 2024-11-03; took the earlier "
                                       "one (EDT)"))


def test_several_fields_report_every_note_and_the_first_reject() -> None:
    rule = parse_dates.prepare({"fields": ["a", "b"], "dayfirst": False})
    row = {"a": "01/02/2020", "b": "02/01/2020"}
    assert rule(row) == RuleOutcome(changed=True, note=(
        "a: ambiguous: '01/02/2020' read as 2020-01-02 (month first; day first would be 2020-02-01); "
        "b: ambiguous: '02/01/2020' read as 2020-02-01 (month first; day first would be 2020-01-02)"))
    assert rule({"a": "2020-1-2", "b": "soon"}) == RuleOutcome(changed=True, reject="b: 'soon' is not a date")
