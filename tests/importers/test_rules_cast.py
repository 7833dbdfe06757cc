"""cast: each semantic type of the spec language, with the values exports hold, to the value loaded or the
reason it does not fit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from dbbasic.importers.cast import cast
from dbbasic.specs.model import SEMANTIC_TYPES, FieldType


@pytest.mark.parametrize(("ftype", "value", "expected"), [
    (FieldType("text"), " Ann ", " Ann "),
    (FieldType("text"), "", ""),
    (FieldType("text"), 42, "42"),
    (FieldType("string", (5,)), "Ann", "Ann"),
    (FieldType("string", (5,)), "héllo", "héllo"),
    (FieldType("email"), "ann@example.com", "ann@example.com"),
    (FieldType("phone"), "+12025550143", "+12025550143"),
    (FieldType("url"), "https://example.com/a b", "https://example.com/a b"),
    (FieldType("int"), "42", 42),
    (FieldType("int"), " -7 ", -7),
    (FieldType("int"), "+7", 7),
    (FieldType("int"), "42.00", 42),
    (FieldType("int"), 42, 42),
    (FieldType("int"), "2147483647", 2147483647),
    (FieldType("bigint"), "9223372036854775807", 9223372036854775807),
    (FieldType("id"), "17", 17),
    (FieldType("decimal", (10, 2)), "12.5", Decimal("12.50")),
    (FieldType("decimal", (10, 2)), "-0.01", Decimal("-0.01")),
    (FieldType("decimal", (10, 2)), "12.500", Decimal("12.50")),
    (FieldType("decimal", (10, 2)), "99999999.99", Decimal("99999999.99")),
    (FieldType("decimal", (4, 4)), "0", Decimal("0.0000")),
    (FieldType("decimal"), "1e3", Decimal("1E+3")),
    (FieldType("decimal"), ".5", Decimal("0.5")),
    (FieldType("float"), "1.5e3", 1500.0),
    (FieldType("float"), "-0.25", -0.25),
    (FieldType("bool"), "true", True),
    (FieldType("bool"), "Yes", True),
    (FieldType("bool"), " Y ", True),
    (FieldType("bool"), "1", True),
    (FieldType("bool"), "FALSE", False),
    (FieldType("bool"), "no", False),
    (FieldType("bool"), "0", False),
    (FieldType("bool"), "off", False),
    (FieldType("date"), "2020-01-02", "2020-01-02"),
    (FieldType("date"), "2020-01-02T00:00:00", "2020-01-02"),
    (FieldType("date"), date(2020, 1, 2), "2020-01-02"),
    (FieldType("timestamp"), "2020-01-02T03:04:05.000Z", "2020-01-02T03:04:05.000Z"),
    (FieldType("timestamp"), "2020-01-02 03:04", "2020-01-02T03:04:00.000Z"),  # no offset: UTC
    (FieldType("timestamp"), "2020-01-02", "2020-01-02T00:00:00.000Z"),
    (FieldType("timestamp"), "2020-01-02T03:04:05.5+02:00", "2020-01-02T01:04:05.500Z"),
    (FieldType("timestamp"), datetime(2020, 1, 2, 3, 4), "2020-01-02T03:04:00.000Z"),
    (FieldType("json"), '{"a": [1, 2]}', '{"a": [1, 2]}'),
    (FieldType("json"), "null", "null"),
    (FieldType("json"), {"a": "é"}, '{"a": "é"}'),
    (FieldType("uuid"), "{12345678-1234-5678-1234-567812345678}", "12345678-1234-5678-1234-567812345678"),
    (FieldType("uuid"), "123456781234567812345678123456AB", "12345678-1234-5678-1234-5678123456ab"),
])
def test_values_are_cast_to_the_field_type(ftype: FieldType, value: Any, expected: Any) -> None:
    assert cast(value, ftype) == (expected, "")
    assert type(cast(value, ftype)[0]) is type(expected)


@pytest.mark.parametrize(("ftype", "value", "reason"), [
    (FieldType("string", (2,)), "USA", "it is 3 characters long; the field holds at most 2"),
    (FieldType("int"), "abc", "'abc' is not an integer"),
    (FieldType("int"), "4.5", "'4.5' is not an integer"),
    (FieldType("int"), "1,000", "'1,000' is not an integer (thousands separators are not read)"),
    (FieldType("int"), "1_000", "'1_000' is not an integer"),  # Python's int() would read it
    (FieldType("int"), "\u0661\u0662", "'\u0661\u0662' is not an integer"),  # so would it Arabic-Indic digits
    (FieldType("int"), "2147483648", "2147483648 is out of range for int (-2147483648 to 2147483647)"),
    (FieldType("int"), True, "True is not an integer"),
    (FieldType("bigint"), "9223372036854775808",
     "9223372036854775808 is out of range for bigint (-9223372036854775808 to 9223372036854775807)"),
    (FieldType("decimal", (10, 2)), "12.345", "'12.345' has more than 2 decimals, which decimal(10, 2) would round"),
    (FieldType("decimal", (10, 2)), "123456789", "'123456789' is too large for decimal(10, 2) (at most 8 digits "
                                                 "before the point)"),
    (FieldType("decimal", (10, 2)), "12,50", "'12,50' is not a number (write the decimal point as .)"),
    (FieldType("decimal"), "NaN", "'NaN' is not a number"),
    (FieldType("decimal"), "$12", "'$12' is not a number"),
    (FieldType("float"), "inf", "'inf' is not a finite number"),
    (FieldType("float"), "1e999", "'1e999' is not a finite number"),
    (FieldType("bool"), "maybe", "'maybe' is not a yes or no (true/false, yes/no, 1/0)"),
    (FieldType("date"), "03/04/2020", "'03/04/2020' is not an ISO 8601 date (YYYY-MM-DD); a parse_dates rule reads "
                                      "other formats"),
    (FieldType("date"), "2020-02-30", "'2020-02-30' is not an ISO 8601 date (YYYY-MM-DD); a parse_dates rule reads "
                                      "other formats"),
    (FieldType("date"), "2020-01-02T13:45:00", "'2020-01-02T13:45:00' has a time of day, and the field is a date"),
    (FieldType("timestamp"), "Jan 5 2020", "'Jan 5 2020' is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS); a "
                                           "parse_dates rule reads other formats"),
    (FieldType("timestamp"), "2020-01-02T03:04:05.000001", "'2020-01-02T03:04:05.000001' is finer than a "
                                                            "millisecond, which a timestamp field keeps"),
    (FieldType("json"), "{a: 1}", "it is not JSON: Expecting property name enclosed in double quotes: line 1 "
                                  "column 2 (char 1)"),
    (FieldType("json"), '{"a": NaN}', "it is not JSON: NaN is not a JSON value"),
    (FieldType("uuid"), "1234", "'1234' is not a UUID"),
])
def test_a_value_that_does_not_fit_gives_the_reason(ftype: FieldType, value: Any, reason: str) -> None:
    assert cast(value, ftype) == (None, reason)


def test_enums_take_one_of_their_values_exactly() -> None:
    status = FieldType("enum")
    assert cast("todo", status, ("todo", "done")) == ("todo", "")
    assert cast(2, status, (1, 2, 3)) == ("2", "")
    assert cast("Todo ", status, ("todo", "done")) == (
        None, "'Todo ' is not one of: todo, done (did you mean 'todo'? a map_values rule can map it)")
    assert cast("Archived", status, ("todo", "done")) == (None, "'Archived' is not one of: todo, done")


@pytest.mark.parametrize("name", sorted(SEMANTIC_TYPES))
def test_none_is_null_and_blank_is_null_but_for_free_text(name: str) -> None:
    ftype = FieldType(name)
    assert cast(None, ftype) == (None, "")
    text = name in ("text", "string")  # an email, phone or URL of spaces is none
    assert cast("  ", ftype) == (("  " if text else None), "")
