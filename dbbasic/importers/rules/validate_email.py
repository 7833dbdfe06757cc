"""Email addresses checked, pragmatically, and tidied.

    - "Validate emails"
    - "Reject rows with an invalid email, keep invalid ones"   (-> invalid: keep)
    - {validate_email: {field: email, invalid: reject}}

Valid means: exactly one `@`, something before it, a domain after it with a dot that is neither its first
nor its last character and no two dots in a row, and no spaces, commas, semicolons or angle brackets
(`Ann <ann@example.com>` and `a@x.com; b@y.com` are not one address). That is a check of form, not of
delivery: whether the mailbox exists is for a confirmation mail to find out. A valid address is trimmed
and its domain lower-cased (domains are case-insensitive, `Ann@Example.COM` -> `Ann@example.com`); the
part before the `@` keeps its case, as a mail server may tell it apart. An invalid address follows
`invalid:`: `reject` (the default) rejects the row, `keep` keeps it as written (noted), `null` empties it
(noted). Blank values are left alone (`required` rejects them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dbbasic.importers.outcome import RowRule
from dbbasic.importers.rules._common import (
    INVALID,
    INVALID_CLAUSES,
    FieldRule,
    blank,
    check_choice,
    check_fields,
    check_parameters,
    invalid,
    readings,
)
from dbbasic.specs.model import FieldType

NAME = "validate_email"
PHRASINGS = (
    "Validate emails",
    "Validate 'contact' as an email address",
    "Reject rows with an invalid email",
    "Emails must be valid (keep invalid ones)",
    "Check email addresses",
)
PARAMETERS = {
    "fields": "the email fields (`field:` for one)",
    "invalid": "what to do with an invalid address: reject (the row, default), keep (noted), null (noted)",
}
DEFAULTS: dict[str, Any] = {"invalid": "reject"}
TYPES = ("email",)

_EMAILS = r"e-?mails?(?:\s+address(?:es)?)?"
_AS_EMAIL = rf"(?:\s+as\s+(?:an?\s+)?(?:valid\s+)?{_EMAILS})?"
_REST = r"(?P<rest>(?:\s*[(,;].*)?)"
_RULES = tuple(re.compile(p, re.IGNORECASE) for p in (
    rf"^(?:validate|check|verify)\s+(?:that\s+)?(?:all\s+|the\s+)*(?P<fields>.+?){_AS_EMAIL}"
    rf"(?:\s+(?:is|are)\s+valid)?{_REST}$",
    rf"^(?:reject|skip|drop|discard|exclude)\s+(?:rows|records|entries)\s+with\s+(?:an?\s+)?(?:invalid|bad|malformed)\s+"
    rf"(?P<fields>.+?){_REST}$",
    rf"^(?:reject|skip|drop)\s+invalid\s+(?P<fields>{_EMAILS}){_REST}$",
    rf"^(?P<fields>.+?)\s+(?:must|should)\s+be\s+(?:an?\s+)?valid(?:\s+{_EMAILS})?{_REST}$",
))
_EMAIL_WORD = re.compile(r"\be-?mail", re.IGNORECASE)


def recognise(text: str, fields: Mapping[str, FieldType]) -> dict[str, Any] | None:
    for _, named, said in readings(text, _RULES, fields, INVALID_CLAUSES):
        # only about email: it says so, or every field it names holds email addresses
        if _EMAIL_WORD.search(text) or (named and all(fields[n].name in TYPES for n in named if n in fields)):
            return {"fields": named, **DEFAULTS, **said}
    return None


def check(params: dict[str, Any], fields: Mapping[str, FieldType], columns: Sequence[str]) -> list[str]:
    problems = check_parameters(params, PARAMETERS, ("fields",)) + check_fields(params, fields, TYPES)
    return problems + check_choice(params, "invalid", INVALID)


_FORBIDDEN = re.compile(r"[\s,;<>()\[\]\\\"]")


def problem(address: str) -> str:
    """Why `address` is not an email address; "" when it is one."""
    if _FORBIDDEN.search(address):
        return "it contains spaces or one of , ; < > ( ) [ ] \\ \""
    local, at, domain = address.rpartition("@")
    if not at:
        return "it has no @"
    if "@" in local:
        return "it has more than one @"
    if not local:
        return "it has nothing before the @"
    if "." not in domain or domain.startswith(".") or domain.endswith(".") or ".." in domain:
        return f"its domain {domain!r} is not a domain name (like example.com)"
    return ""


class ValidateEmail(FieldRule):
    def __init__(self, params: Mapping[str, Any]) -> None:
        super().__init__(params)
        self.invalid = self.params.get("invalid", DEFAULTS["invalid"])

    def value(self, value: Any) -> tuple[Any, str, str]:
        if blank(value):
            return value, "", ""
        address = str(value).strip()
        wrong = problem(address)
        if wrong:
            return invalid(self.invalid, value, f"{value!r} is not an email address: {wrong}")
        local, _, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}", "", ""


def prepare(params: dict[str, Any]) -> RowRule:
    return ValidateEmail(params)
