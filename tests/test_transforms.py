"""The value transforms (dbbasic/transforms/): what each makes of real-world values, and the parameter
errors a spec author sees."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dbbasic.transforms import REJECTED, TRANSFORMS, Outcome, get


def test_every_transform_has_a_name_a_version_and_documented_parameters() -> None:
    for name, module in TRANSFORMS.items():
        assert name == module.NAME and isinstance(module.VERSION, int)
        assert module.PARAMETERS and all(isinstance(text, str) and text for text in module.PARAMETERS.values())
        assert (module.__doc__ or "").strip()


@pytest.mark.parametrize(("value", "expected"), [
    ("(202) 555-0143", "+12025550143"),
    ("202.555.0143", "+12025550143"),
    ("  +1 202 555 0143 ", "+12025550143"),
    ("+12025550143", "+12025550143"),
    ("+44 20 7946 0958", "+442079460958"),
    ("011 44 20 7946 0958", "+442079460958"),  # the US international prefix, then a UK number
    (None, None),
    ("", ""),
    ("   ", "   "),
])
def test_phones_become_e164(value: str | None, expected: str | None) -> None:
    outcome = get("phone_e164").prepare({"default_region": "US"})(value)
    assert outcome == Outcome(expected)


@pytest.mark.parametrize(("value", "reason"), [
    ("9999999999", "not a valid number"),  # parses, but no such number: parse alone would accept it
    ("555-0143", "not a valid number"),
    ("n/a", "contains letters"),
    ("1-800-FLOWERS", "contains letters"),
    ("202-555-0143 ext. 12", "contains letters"),
    ("202-555-0143;12", "extension"),
    ("+999 123", "country code"),
    ("--", "not a phone number"),
    ("12", "not a valid number in country code +1"),
])
def test_what_is_not_a_valid_number_is_rejected_and_kept(value: str, reason: str) -> None:
    outcome = get("phone_e164").prepare({"default_region": "US"})(value)
    assert (outcome.value, outcome.note) == (value, REJECTED)
    assert reason in outcome.reason


def test_the_default_region_decides_numbers_without_a_country_code() -> None:
    german = get("phone_e164").prepare({"default_region": "de"})
    assert german("030 901820").value == "+4930901820"
    assert german("0049 30 901820").value == "+4930901820"
    assert get("phone_e164").prepare({"default_region": "US"})("030 901820").rejected


@pytest.mark.parametrize(("parameters", "message"), [
    ({}, "default_region must be a region code"),
    ({"default_region": "XX"}, "not 'XX'"),
    ({"default_region": "US", "region": "US"}, "takes no parameter 'region'"),
])
def test_phone_parameters_are_checked(parameters: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get("phone_e164").prepare(parameters)


NEW_YORK = {"zone": "America/New_York"}


@pytest.mark.parametrize(("value", "expected", "note"), [
    ("2024-07-01 12:00", "2024-07-01T16:00:00.000Z", None),  # EDT, UTC-4
    ("2024-01-15T08:30:05.250", "2024-01-15T13:30:05.250Z", None),  # EST, UTC-5
    ("2024-07-01", "2024-07-01T04:00:00.000Z", None),  # a date is its midnight
    ("2024-07-01T12:00:00+02:00", "2024-07-01T10:00:00.000Z", None),  # already absolute
    ("2024-07-01T12:00:00Z", "2024-07-01T12:00:00.000Z", None),
    ("2024-03-10 02:30", "2024-03-10T07:30:00.000Z", "dst-gap"),  # does not exist: read as 03:30 EDT
    ("2024-11-03 01:30", "2024-11-03T05:30:00.000Z", "dst-overlap"),  # twice: the first, EDT
    (None, None, None),
    (" ", None, None),
])
def test_naive_times_in_a_zone_become_utc(value: str | None, expected: str | None, note: str | None) -> None:
    outcome = get("utc_timestamp").prepare(NEW_YORK)(value)
    assert (outcome.value, outcome.note) == (expected, note)


def test_dst_policies_choose_or_reject() -> None:
    later = get("utc_timestamp").prepare({**NEW_YORK, "ambiguous": "later"})
    assert later("2024-11-03 01:30").value == "2024-11-03T06:30:00.000Z"
    strict = get("utc_timestamp").prepare({**NEW_YORK, "ambiguous": "reject", "nonexistent": "reject"})
    assert strict("2024-11-03 01:30") .note == strict("2024-03-10 02:30").note == REJECTED
    assert "happened twice" in strict("2024-11-03 01:30").reason
    assert "does not exist" in strict("2024-03-10 02:30").reason
    assert strict("2024-11-03 03:30").value == "2024-11-03T08:30:00.000Z"


def test_datetimes_are_read_as_the_wall_time_they_show_in_utc() -> None:
    to_utc = get("utc_timestamp").prepare({**NEW_YORK, "output": "datetime"})
    # What PostgreSQL returns for a naive 12:00 written into timestamptz through a UTC session:
    assert to_utc(datetime(2024, 7, 1, 12, 0, tzinfo=UTC)).value == datetime(2024, 7, 1, 16, 0, tzinfo=UTC)
    assert to_utc(datetime(2024, 7, 1, 12, 0)).value == datetime(2024, 7, 1, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "reason"), [
    ("yesterday", "not an ISO 8601"),
    ("07/01/2024", "not an ISO 8601"),  # month or day first? imports decide that; this transform does not guess
    ("2024-02-30 10:00", "not an ISO 8601"),
    ("2024-07-01 12:00:00.000001", "sub-millisecond"),
    (1719835200, "not an ISO 8601"),
])
def test_what_is_not_a_date_time_is_rejected_and_kept(value: object, reason: str) -> None:
    outcome = get("utc_timestamp").prepare(NEW_YORK)(value)
    assert (outcome.value, outcome.note) == (value, REJECTED)
    assert reason in outcome.reason


@pytest.mark.parametrize(("parameters", "message"), [
    ({}, "zone must be an IANA time zone name"),
    ({"zone": "Europe/Pari"}, "did you mean 'Europe/Paris'"),
    ({**NEW_YORK, "ambiguous": "first"}, "ambiguous must be one of earlier, later, reject"),
    ({**NEW_YORK, "output": "iso"}, "output must be one of text, datetime"),
])
def test_time_zone_parameters_are_checked(parameters: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get("utc_timestamp").prepare(parameters)


def test_an_unknown_transform_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="phone_e164, utc_timestamp"):
        get("phone")
