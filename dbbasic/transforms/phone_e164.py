"""Phone numbers to E.164 (`+12025550143`), with Google's libphonenumber rules (the `phonenumbers` package).

A number without a country code is read as a number of `default_region` (ISO 3166 code, like `US`);
one with a code (`+44 ...`, or the region's international prefix such as `00` in Germany) keeps its own.
A value becomes E.164 only when `is_valid_number` holds for it: parsing alone accepts placeholders such
as `9999999999`. Everything else is rejected and kept exactly as it was, with the reason: text that is
not a number, numbers that are invalid or too short, numbers with letters (vanity numbers such as
`1-800-FLOWERS`: E.164 would keep only the digits) and numbers with an extension (E.164 has no place for
it). NULL and blank values are left alone.
"""

from __future__ import annotations

from typing import Any

import phonenumbers

from dbbasic.transforms.outcome import Outcome, Transform, reject

NAME = "phone_e164"
VERSION = 1
PARAMETERS = {"default_region": "the ISO 3166 region of numbers written without a country code, like US"}

_E164 = phonenumbers.PhoneNumberFormat.E164
_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "it has no country code, or an unknown one",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "it is not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short after the international prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "it is too short",
    phonenumbers.NumberParseException.TOO_LONG: "it is too long",
}


def prepare(parameters: dict[str, Any]) -> Transform:
    unknown = sorted(set(parameters) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"{NAME} takes no parameter {unknown[0]!r} (it takes: {', '.join(PARAMETERS)})")
    region = parameters.get("default_region")
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"default_region must be a region code that libphonenumber knows, like US, GB or DE; "
                         f"not {region!r}")
    region = region.upper()

    def to_e164(value: Any) -> Outcome:
        if value is None or not str(value).strip():
            return Outcome(value)
        text = str(value).strip()
        if any(c.isalpha() for c in text):
            return reject(value, "it contains letters (a vanity number or an extension?): write it in digits")
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException as exc:
            return reject(value, _PARSE_ERRORS.get(exc.error_type, str(exc)))
        if number.extension:
            return reject(value, f"it has an extension ({number.extension}), which E.164 cannot hold")
        if not phonenumbers.is_valid_number(number):
            where = phonenumbers.region_code_for_number(number) or f"country code +{number.country_code}"
            return reject(value, f"it is not a valid number in {where} (too short, too long, or an unassigned range)")
        e164 = phonenumbers.format_number(number, _E164)
        return Outcome(e164 if e164 != value else value)

    return to_e164
