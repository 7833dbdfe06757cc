"""Phone numbers to E.164 (`+12025550143`), with dbbasic's `phone_e164` transform (libphonenumber).

    - "Normalize all phone numbers to E.164 (default region US)"
    - {normalize_phone: {field: phone, default_region: US, invalid: reject}}

A number written without a country code is read as a number of `default_region`, which the rule must
state ("default region US", "US numbers", "assume GB"): nothing is assumed, and `check` asks for it. A
number becomes E.164 only when libphonenumber's `is_valid_number` holds (parsing alone accepts
placeholders like `9999999999`). The rest, with the reason (letters, an extension, too short, an
unassigned range), follows `invalid:`: `reject` (the default) rejects the row, `keep` keeps the value as
written and notes it, `null` empties it and notes it ("keep invalid ones", "blank invalid ones").
Blank values are left alone. "Phone numbers" are the fields of type phone; other fields are named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import phonenumbers

from dbbasic.importers.outcome import RowRule
from dbbasic.importers.rules._common import (
    INVALID,
    INVALID_CLAUSES,
    FieldRule,
    blank,
    check_choice,
    check_fields,
    check_parameters,
    clause,
    invalid,
    readings,
)
from dbbasic.specs.model import FieldType
from dbbasic.transforms import phone_e164

NAME = "normalize_phone"
PHRASINGS = (
    "Normalize all phone numbers to E.164 (default region US)",
    "Normalize 'mobile' to E.164, default region GB, keep invalid ones",
    "Format phone numbers in 'phone' and 'fax' as E.164 (US numbers)",
    "Phone numbers to E.164 (assume DE)",
)
PARAMETERS = {
    "fields": "the phone fields (`field:` for one)",
    "default_region": "the ISO 3166 region of numbers written without a country code, like US or GB",
    "invalid": "what to do with a number that is not valid: reject (the row, default), keep (noted), null (noted)",
}
DEFAULTS: dict[str, Any] = {"invalid": "reject"}
TYPES = ("phone",)

_VERB = r"(?:normali[sz]e|standardi[sz]e|format|convert|rewrite|clean(?:\s+up)?|write|store)"
_E164 = r"(?:e\.?\s?164|international\s+format)"
_PHONES = r"(?:all\s+|the\s+|every\s+)*(?:tele)?phones?(?:\s+numbers?|\s+fields?)?"
_RULES = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"^{_VERB}\s+{_PHONES}\s+(?:in|of|from)\s+(?P<fields>.+?)\s+(?:to|in|as|into)\s+{_E164}\b(?P<rest>.*)$",
    rf"^{_VERB}\s+(?P<fields>.+?)\s+(?:to|in|as|into)\s+{_E164}\b(?P<rest>.*)$",
    rf"^{_VERB}\s+(?P<fields>{_PHONES})(?P<rest>(?:\s*[(,;].*)?)$",
    rf"^(?P<fields>.+?)\s+(?:to|in|as|into|(?:must|should)\s+be(?:\s+in)?)\s+{_E164}\b(?P<rest>.*)$",
))
_CLAUSES = (
    clause(r"(?:default\s+(?:region|country)|region|country)\s*(?:is\s+|:\s*|=\s*)?(?P<default_region>[a-z]{2})\b"),
    clause(r"(?:assume|assuming|as)\s+(?P<default_region>[a-z]{2})(?:\s+numbers)?\b"),
    clause(r"(?-i:(?P<default_region>[A-Z]{2}))\s+numbers\b"),
    clause(r"numbers\s+without\s+(?:a\s+)?country\s+code\s+are\s+(?P<default_region>[a-z]{2})\b"),
    clause(r"(?-i:(?P<default_region>[A-Z]{2}))(?=\s*[),;]|$)"),
    *INVALID_CLAUSES,
)


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    for _, named, said in readings(text, _RULES, fields, _CLAUSES):
        if "default_region" in said:
            said["default_region"] = said["default_region"].upper()
        return {"fields": named, **DEFAULTS, **said}
    return None


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    problems = check_parameters(params, PARAMETERS, ("fields",)) + check_fields(params, fields, TYPES)
    region = params.get("default_region")
    if region is None:
        problems.append("needs a default region, for numbers written without a country code: add "
                        "'(default region US)' to the rule, or `default_region: US`")
    elif not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        hint = " (the United Kingdom is GB)" if str(region).upper() == "UK" else ""
        problems.append(f"default_region {region!r} is not a region libphonenumber knows{hint}: use an ISO 3166 "
                        "code like US, GB or DE")
    return problems + check_choice(params, "invalid", INVALID)


class NormalizePhone(FieldRule):
    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        self.to_e164 = phone_e164.prepare({"default_region": self.params["default_region"]})
        self.invalid = self.params.get("invalid", DEFAULTS["invalid"])

    def value(self, value: Any) -> tuple[Any, str, str]:
        if blank(value):
            return value, "", ""
        outcome = self.to_e164(value)
        if outcome.rejected:
            return invalid(self.invalid, value, f"{value!r}: {outcome.reason}")
        return outcome.value, "", ""


def prepare(params: dict[str, Any]) -> RowRule:
    return NormalizePhone(params)
