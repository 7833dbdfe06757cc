"""phone_e164's fast path gives exactly the Outcome of the general path (`_slow`: phonenumbers' parse,
is_valid_number and format) for every value: checked on a seeded corpus of messy values per
default region, and `_parse_plain` gives exactly parse's PhoneNumber wherever it answers."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import phonenumbers
import pytest

from dbbasic.transforms import phone_e164
from dbbasic.transforms.phone_e164 import _Home, _parse_plain, _slow

REGIONS = ("US", "CA", "GB", "DE", "FR", "IN", "AU", "BR", "IT")
VALUES_PER_REGION = 15_000  # ~1.5 s a region; 200,000 a region were also run once, all equal
SEPARATORS = " -.()/"
IDDS = ("00", "011", "0011", "001", "0014", "0021", "0041", "010", "810", "0000")
NATIONAL_PREFIXES = ("0", "1", "8", "90", "06", "1831", "180020", "015", "021", "0 41", "00")
ODD_MARKS = ("x", "ext.", "#", "*", ";", ";ext=", ",,", ",", "~", "[", "]", "+", "++", "\t", "\u00a0", "\u2010",
             "\uff10", "\u0663", "tel:", ";phone-context=+1", ";isub=12", "a", "ABC", "_", "/x", "\n")
TYPES = [getattr(phonenumbers.PhoneNumberType, name) for name in (
    "FIXED_LINE", "MOBILE", "TOLL_FREE", "PREMIUM_RATE", "SHARED_COST", "VOIP", "PERSONAL_NUMBER", "PAGER",
    "UAN", "VOICEMAIL")]
OTHER_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def example(rng: random.Random, region: str) -> phonenumbers.PhoneNumber | None:
    """An example number of region (or of a non-geographic code), some of its last digits redrawn."""
    if rng.random() < 0.05:
        number = phonenumbers.example_number_for_non_geo_entity(
            rng.choice(sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)))
    else:
        number = phonenumbers.example_number_for_type(region, rng.choice(TYPES))
    if number is None or number.national_number is None:
        return None
    scale = 10 ** rng.randrange(6)
    number.national_number = number.national_number // scale * scale + rng.randrange(scale)
    return number


def national_digits(rng: random.Random, region: str) -> tuple[int, str]:
    """A country code and national significant number: mostly real-looking, some too short, long or random."""
    number = example(rng, region if rng.random() < 0.6 else rng.choice(OTHER_REGIONS))
    if number is None or rng.random() < 0.1:
        code = rng.choice((1, 7, 33, 39, 44, 49, 55, 61, 91, 262, 599, 800, 999, 0, 21, 42))
        return code, "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 21)))
    nsn = phonenumbers.national_significant_number(number)
    roll = rng.random()
    if roll < 0.05:
        nsn = nsn[: rng.randrange(len(nsn))]
    elif roll < 0.10:
        nsn += str(rng.randrange(10 ** rng.randrange(1, 6)))
    assert number.country_code is not None
    return number.country_code, nsn


def written(rng: random.Random, region: str) -> str:
    """How a person or an export might write a number with a default region of `region`: mostly as usual
    (national forms for the region's own numbers, international ones for all), sometimes oddly."""
    code, nsn = national_digits(rng, region)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert metadata is not None
    home_idd = metadata.preferred_international_prefix or metadata.international_prefix or "00"
    home_prefix = metadata.national_prefix or ""
    usual: list[Callable[[], str]] = [
        lambda: f"+{code}{nsn}",
        lambda: f"+{code} {nsn}",
        lambda: f"{home_idd}{code}{nsn}" if home_idd.isdigit() else f"+{code}{nsn}",
        lambda: formatted(rng, code, nsn),
    ]
    if code == metadata.country_code:
        usual += [lambda: nsn, lambda: f"{home_prefix}{nsn}", lambda: f"{code}{nsn}"]
    odd: list[Callable[[], str]] = [
        lambda: f"{code}{nsn}",
        lambda: nsn,
        lambda: f"{rng.choice(NATIONAL_PREFIXES)}{nsn}",
        lambda: f"{rng.choice(IDDS)}{code}{nsn}",
        lambda: f"{rng.choice(IDDS)}0{code}{nsn}",
        lambda: f"+{code} (0){nsn}",
        lambda: f"+0{code}{nsn}",
        lambda: f"+{rng.choice(IDDS)}{code}{nsn}",
        lambda: f"+{code}{home_prefix}{nsn}",
        lambda: f"{code}{home_prefix}{nsn}",
    ]
    return rng.choice(usual if rng.random() < 0.8 else odd)()


def formatted(rng: random.Random, code: int, nsn: str) -> str:
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(nsn or "0"))
    phonenumbers.phonenumberutil._set_italian_leading_zeros_for_phone_number(nsn, number)
    return phonenumbers.format_number(number, rng.choice((0, 1, 2, 3)))  # E164, INTERNATIONAL, NATIONAL, RFC3966


def messy(rng: random.Random, text: str) -> str:
    """text with separators between its characters, odd marks, spaces around, or cut short."""
    if rng.random() < 0.6:
        text = "".join(c + (rng.choice(SEPARATORS) * rng.choice((1, 1, 1, 2)) if rng.random() < 0.3 else "")
                       for c in text)
    if rng.random() < 0.1:
        at = rng.randrange(len(text) + 1)
        text = text[:at] + rng.choice(ODD_MARKS) + text[at:]
    if rng.random() < 0.1:
        text = rng.choice(("(", ")", "-", ".", "/", "+", " ")) + text
    if rng.random() < 0.1:
        text = text + rng.choice(("(", ")", "-", ".", "/", "+", " ", "#"))
    if rng.random() < 0.15:
        text = rng.choice(("", " ", "  ", "\t")) + text + rng.choice(("", " ", "\n", "\u00a0"))
    if rng.random() < 0.01:
        text = text[: rng.randrange(4)]
    if rng.random() < 0.002:
        text = "1" * rng.randrange(240, 260)
    return text


def corpus(region: str, size: int) -> list[Any]:
    rng = random.Random(f"phone_e164 fast path {region}")
    values: list[Any] = []
    for _ in range(size):
        text = messy(rng, written(rng, region))
        if rng.random() < 0.02 and text.isdigit():  # exports give numbers as integers and floats too
            values.append(rng.choice((int, float))(text))
        else:
            values.append(text)
    return values + [None, "", "   ", "+", "++", "+-", "()", "1", "12", "+12", "123", "+123", "0", "00", "000",
                     "0000", "+0", "+00", "00000000000000000000"]


@pytest.mark.parametrize("region", REGIONS)
def test_the_fast_path_gives_the_general_paths_outcome(region: str) -> None:
    fast = phone_e164.prepare({"default_region": region})
    home = _Home.of(region)
    plain = 0
    for value in corpus(region, VALUES_PER_REGION):
        assert fast(value) == _slow(value, region), value
        number = _parse_plain(str(value).strip(), home) if value is not None else None
        if number is not None:
            plain += 1
            assert number == phonenumbers.parse(str(value).strip(), region), value
    assert plain > VALUES_PER_REGION / 4  # the corpus does exercise the fast path


@pytest.mark.parametrize(("region", "text", "e164"), [
    ("US", "(202) 555-0143", "+12025550143"),
    ("US", "1-202-555-0143", "+12025550143"),  # starts with the country code
    ("US", "+1 202 555 0143", "+12025550143"),
    ("US", "011 44 20 7946 0958", "+442079460958"),  # the US international prefix
    ("US", "+44 (0)20 7946 0958", "+442079460958"),  # the national prefix after the country code
    ("CA", "416 555 0143", "+14165550143"),  # +1, valid in Canada, not in the US
    ("GB", "020 7946 0958", "+442079460958"),
    ("DE", "030 901820", "+4930901820"),
    ("DE", "0049 30 901820", "+4930901820"),
    ("IT", "06 6988 1234", "+390669881234"),  # Italian numbers keep their leading zero
    ("BR", "(11) 96123-4567", "+5511961234567"),
    ("AU", "0412 345 678", "+61412345678"),
    ("IN", "098765 43210", "+919876543210"),
])
def test_plain_text_takes_the_fast_path(region: str, text: str, e164: str) -> None:
    number = _parse_plain(text, _Home.of(region))
    assert number is not None and number == phonenumbers.parse(text, region)
    assert phone_e164.prepare({"default_region": region})(text).value == e164


@pytest.mark.parametrize("text", ["+1 202 555 0143 x12", "(+1) 202 555 0143", "202\u00a0555 0143", "1-800-FLOWERS",
                                  "\uff12\uff10\uff12 555 0143", "12", "+999 1234", "202;555"])
def test_other_text_takes_the_general_path(text: str) -> None:
    assert _parse_plain(text, _Home.of("US")) is None
