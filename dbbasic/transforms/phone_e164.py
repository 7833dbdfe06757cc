"""Phone numbers to E.164 (`+12025550143`), with Google's libphonenumber rules (the `phonenumbers` package).

A number without a country code is read as a number of `default_region` (ISO 3166 code, like `US`);
one with a code (`+44 ...`, or the region's international prefix such as `00` in Germany) keeps its own.
A value becomes E.164 only when `is_valid_number` holds for it: parsing alone accepts placeholders such
as `9999999999`. Everything else is rejected and kept exactly as it was, with the reason: text that is
not a number, numbers that are invalid or too short, numbers with letters (vanity numbers such as
`1-800-FLOWERS`: E.164 would keep only the digits) and numbers with an extension (E.164 has no place for
it). NULL and blank values are left alone.

Speed: `phonenumbers.parse` and `is_valid_number` cost 25-60 µs a value, too slow for imports. Plain text
(digits and the usual separators, see `_parse_plain`) is parsed here in a few µs, and checked first against
the region is_valid_number would try first (`_valid_in_region_tried_first`); every other value goes through
`_slow`, the general path, which is also the specification: both give the same Outcome for every value
(tests/test_phone_fast_path.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberDesc, ValidationResult

# parse's and is_valid_number's own steps, private but typed in phonenumbers' stubs: reusing them keeps the
# fast path in step with the library (a renamed one fails the import, loudly)
from phonenumbers.phonenumberutil import (
    _extract_country_code,
    _is_number_matching_desc,
    _match_national_number,
    _maybe_strip_national_prefix_carrier_code,
    _set_italian_leading_zeros_for_phone_number,
    _test_number_length,
)

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
_PLAIN_MARKS = str.maketrans("", "", "+ -.()/")  # the plus and the separators of plain text
_LONGEST_INPUT = 250  # parse's limits: _MAX_INPUT_STRING_LENGTH, _MIN_ and _MAX_LENGTH_FOR_NSN
_SHORTEST_NSN, _LONGEST_NSN = 2, 17
_KEEPS_NATIONAL_PREFIX = frozenset({ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
                                    ValidationResult.INVALID_LENGTH})


def prepare(parameters: dict[str, Any]) -> Transform:
    unknown = sorted(set(parameters) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"{NAME} takes no parameter {unknown[0]!r} (it takes: {', '.join(PARAMETERS)})")
    region = parameters.get("default_region")
    if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"default_region must be a region code that libphonenumber knows, like US, GB or DE; "
                         f"not {region!r}")
    home = _Home.of(region.upper())

    def to_e164(value: Any) -> Outcome:
        number = _parse_plain(str(value).strip(), home) if value is not None else None
        if number is None:
            return _slow(value, home.region)
        return _checked(value, number, _valid_in_region_tried_first(number))

    return to_e164


def _slow(value: Any, region: str) -> Outcome:
    """The general path: phonenumbers' parse, is_valid_number (written out in _checked) and format."""
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
    return _checked(value, number)


def _checked(value: Any, number: PhoneNumber, known_valid: bool = False) -> Outcome:
    if not known_valid:  # is_valid_number, keeping the region it finds for the reason
        region = phonenumbers.region_code_for_number(number)
        if region is None or not phonenumbers.is_valid_number_for_region(number, region):
            where = region or f"country code +{number.country_code}"
            return reject(value, f"it is not a valid number in {where} (too short, too long, or an unassigned range)")
    e164 = phonenumbers.format_number(number, _E164)
    return Outcome(e164 if e164 != value else value)


@dataclass(frozen=True)
class _Home:
    """The default region, as parse reads it."""

    region: str
    metadata: PhoneMetadata
    international_prefix: re.Pattern[str] | None

    @classmethod
    def of(cls, region: str) -> _Home:
        metadata = PhoneMetadata.metadata_for_region(region)
        assert metadata is not None  # region is one of SUPPORTED_REGIONS
        idd = metadata.international_prefix
        return cls(region, metadata, re.compile(idd) if idd is not None else None)


def _parse_plain(text: str, home: _Home) -> PhoneNumber | None:
    """`phonenumbers.parse(text, home.region)` for plain text: an optional leading `+`, then only ASCII digits,
    at least three, and the separators space - . ( ) /. None for any other text, and wherever parse would
    raise or retry: the caller then takes the general path.

    parse's first steps change nothing that matters in plain text: it has no `;phone-context=` nor `;isub=`;
    the separators before the first digit and after the last are dropped; three digits among separators are
    a viable number; every extension form needs a letter or one of `#;,~`; and `_normalize` keeps the digits
    (it converts letters only). So parse reads plain text as its plus sign and its digits, and the rest is
    parse's own (phonenumberutil.parse and _maybe_extract_country_code) on them, with parse's own helpers.
    """
    digits = text.translate(_PLAIN_MARKS)
    if (len(digits) < 3 or not (digits.isascii() and digits.isdigit()) or text.find("+", 1) >= 0
            or len(text) > _LONGEST_INPUT):
        return None
    if text[0] == "+":
        international: str | None = digits
    else:  # after the home region's international prefix, unless a 0 follows it
        idd = home.international_prefix.match(digits) if home.international_prefix else None
        international = digits[idd.end():] if idd and not digits.startswith("0", idd.end()) else None
    if international is None:
        country_code, nsn, metadata = _national(digits, home.metadata)
    elif len(international) <= _SHORTEST_NSN:
        return None  # too short after the international prefix
    else:
        country_code, nsn = _extract_country_code(international)
        metadata = _metadata_of(country_code) if country_code else None  # 0: an unknown country code
    if metadata is None or len(nsn) < _SHORTEST_NSN:
        return None
    _, without_prefix, _ = _maybe_strip_national_prefix_carrier_code(nsn, metadata)
    if _test_number_length(without_prefix, metadata) not in _KEEPS_NATIONAL_PREFIX:
        nsn = without_prefix
    if not _SHORTEST_NSN <= len(nsn) <= _LONGEST_NSN:
        return None
    number = PhoneNumber(country_code=country_code, national_number=int(nsn))
    _set_italian_leading_zeros_for_phone_number(nsn, number)
    return number


def _national(digits: str, metadata: PhoneMetadata) -> tuple[int, str, PhoneMetadata | None]:
    """Country code, national number and metadata of digits dialled without a plus or an international prefix
    (phonenumberutil._maybe_extract_country_code): those of the home region, unless the digits start with its
    country code and are a better number without it."""
    country_code = metadata.country_code
    assert country_code is not None  # every region's metadata has one
    if digits.startswith(str(country_code)):
        _, rest, _ = _maybe_strip_national_prefix_carrier_code(digits[len(str(country_code)):], metadata)
        general = metadata.general_desc
        if ((not _match_national_number(digits, general, False) and _match_national_number(rest, general, False))
                or _test_number_length(digits, metadata) == ValidationResult.TOO_LONG):
            return country_code, rest, _metadata_of(country_code)
    return country_code, digits, metadata


@cache
def _metadata_of(country_code: int) -> PhoneMetadata | None:
    """The metadata parse reads a number of this country code with (its main region's)."""
    region = phonenumbers.region_code_for_country_code(country_code)
    return PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)


def _valid_in_region_tried_first(number: PhoneNumber) -> bool:
    """True only if `is_valid_number(number)`: region_code_for_number takes the sole region of a country code,
    or of several the first in COUNTRY_CODE_TO_REGION_CODE order whose leading digits match or, for a region
    without leading digits, where the number is valid. So when the first region has none and the number is
    valid there, is_valid_number holds. False says nothing: ask is_valid_number."""
    rules = _rules_tried_first(number.country_code or 0)
    return rules is not None and rules.allow(phonenumbers.national_significant_number(number))


@dataclass(frozen=True)
class _Rules:
    """A region's number descriptions as _number_type_helper checks them for validity (not UNKNOWN): the general
    one and then any type's, mobile only if its pattern differs from fixed-line's; here the common types first."""

    general: PhoneNumberDesc | None
    types: tuple[PhoneNumberDesc | None, ...]

    def allow(self, nsn: str) -> bool:
        return _is_number_matching_desc(nsn, self.general) and any(_is_number_matching_desc(nsn, t) for t in self.types)


@cache
def _rules_tried_first(country_code: int) -> _Rules | None:
    """The rules of the region is_valid_number validates numbers of country_code against first, if it does."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, regions[0]) if regions else None
    if metadata is None or (len(regions) > 1 and metadata.leading_digits is not None):
        return None
    m = metadata
    mobile = () if m.same_mobile_and_fixed_line_pattern else (m.mobile,)
    return _Rules(m.general_desc, (m.fixed_line, *mobile, m.toll_free, m.premium_rate, m.shared_cost, m.voip,
                                   m.personal_number, m.pager, m.uan, m.voicemail))
