"""The import rules as a spec author meets them: free text understood (or not) into parameters, the
structured form, and the problems `check` reports. What each rule does to rows: test_rules_rows.py."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from dbbasic.importers.rules import (
    RULES,
    change_case,
    default,
    map_field,
    map_values,
    normalize_phone,
    parse_dates,
    phrasebook,
    required,
    skip_duplicates,
    structured,
    trim,
    understand,
    validate_email,
)
from dbbasic.specs.model import FieldType

FIELDS = {
    "id": FieldType("id"), "name": FieldType("text"), "first_name": FieldType("text"), "last_name": FieldType("text"),
    "email": FieldType("email"), "phone": FieldType("phone"), "mobile": FieldType("phone"),
    "fax": FieldType("text"), "organization": FieldType("string", (120,)), "contact": FieldType("text"),
    "signed_up": FieldType("date"), "last_seen": FieldType("timestamp"), "birth_date": FieldType("date"),
    "status": FieldType("enum"), "priority": FieldType("text"), "active": FieldType("bool"),
    "country": FieldType("string", (2,)), "state": FieldType("text"), "company": FieldType("text"),
}
COLUMNS = ["First Name", "Last Name", "E-Mail Address", "Phone", "Company", "Signed Up", "Status"]


def understood(text: str) -> tuple[str, dict[str, Any]] | None:
    found = understand(text, FIELDS)
    return None if found is None else (found[0].NAME, found[1])


def test_every_rule_module_has_the_parts_the_compiler_uses() -> None:
    assert [m.NAME for m in RULES] == ["map_field", "map_values", "skip_duplicates", "normalize_phone",
                                       "parse_dates", "validate_email", "required", "default", "change_case",
                                       "trim"]
    for module in RULES:
        assert module.PHRASINGS and module.PARAMETERS and all(module.PARAMETERS.values())
        assert set(module.DEFAULTS) <= set(module.PARAMETERS)
        assert all(f'"{p}"' in phrasebook() for p in module.PHRASINGS)
        doc = module.__doc__ or ""
        assert f"{{{module.NAME}: " in doc, f"{module.NAME}'s docstring shows its structured form"


@pytest.mark.parametrize(("module", "phrase"), [(m, p) for m in RULES for p in m.PHRASINGS],
                         ids=lambda x: getattr(x, "NAME", x))
def test_each_phrasing_is_understood_by_its_rule_alone(module: Any, phrase: str) -> None:
    takers = [m.NAME for m in RULES if m.recognise(phrase, FIELDS) is not None]
    assert takers == [module.NAME]
    found = understood(phrase)
    assert found is not None
    assert module.check(found[1], FIELDS, COLUMNS) == []


@pytest.mark.parametrize(("text", "rule", "params"), [
    # the examples of the issue and DESIGN.md
    ("Normalize all phone numbers to E.164", "normalize_phone",
     {"fields": ["phone", "mobile"], "invalid": "reject"}),
    ("Skip duplicates (match by email)", "skip_duplicates", {"fields": ["email"]}),
    ("Map 'Company' field to 'Organization'", "map_field", {"from": "Company", "to": "organization"}),
    ("Parse all date formats to ISO-8601", "parse_dates",
     {"fields": ["signed_up", "last_seen", "birth_date"], "dayfirst": False}),
    ("Map status 'Open' to 'todo'", "map_values", {"fields": ["status"], "values": {"Open": "todo"}}),
    # the same rules written otherwise
    ("normalise   phone numbers to e164 (default region us).", "normalize_phone",
     {"fields": ["phone", "mobile"], "invalid": "reject", "default_region": "US"}),
    ("Convert phone numbers in 'fax' to international format; numbers without a country code are GB",
     "normalize_phone", {"fields": ["fax"], "invalid": "reject", "default_region": "GB"}),
    ("Normalize phones, default region: DE, blank invalid ones", "normalize_phone",
     {"fields": ["phone", "mobile"], "invalid": "null", "default_region": "DE"}),
    ("Phone numbers must be in E.164 (CA numbers)", "normalize_phone",
     {"fields": ["phone", "mobile"], "invalid": "reject", "default_region": "CA"}),
    ("Skip duplicate records based on “First Name”, last name and birth date", "skip_duplicates",
     {"fields": ["first_name", "last_name", "birth_date"]}),
    ("Dedupe on email", "skip_duplicates", {"fields": ["email"]}),
    ("Skip duplicate emails", "skip_duplicates", {"fields": ["email"]}),
    ("Ignore duplicates, match by: email", "skip_duplicates", {"fields": ["email"]}),
    ("Normalize phone numbers to E.164 with default region US", "normalize_phone",
     {"fields": ["phone", "mobile"], "invalid": "reject", "default_region": "US"}),
    ("Normalize phone numbers to E.164 (UK)", "normalize_phone",  # understood; check says the UK is GB
     {"fields": ["phone", "mobile"], "invalid": "reject", "default_region": "UK"}),
    ("Convert 'signed_up' to ISO-8601 format", "parse_dates", {"fields": ["signed_up"], "dayfirst": False}),
    ("Make 'state' uppercase", "change_case", {"fields": ["state"], "case": "upper"}),
    ("Skip duplicates", "skip_duplicates", {"fields": []}),  # understood; check asks for the fields
    ("Map Company to Organization", "map_field", {"from": "Company", "to": "organization"}),
    ("Rename 'E-Mail Address' to email", "map_field", {"from": "E-Mail Address", "to": "email"}),
    ("'Company' -> 'organization'", "map_field", {"from": "Company", "to": "organization"}),
    ("Map 'Phone' field to 'Mobile'", "map_field", {"from": "Phone", "to": "mobile"}),
    ("Parse dates in 'signed_up' to ISO-8601 (European dates)", "parse_dates",
     {"fields": ["signed_up"], "dayfirst": True}),
    ("Parse timestamps, month first, time zone America/New_York", "parse_dates",
     {"fields": ["last_seen"], "dayfirst": False, "zone": "America/New_York"}),
    ("Map the values of status: 'Open' -> 'todo', 'In Progress' or 'Started' -> 'doing'", "map_values",
     {"fields": ["status"], "values": {"Open": "todo", "In Progress": "doing", "Started": "doing"}}),
    ("Replace 'Y' with 'true' in active", "map_values", {"fields": ["active"], "values": {"Y": "true"}}),
    ("Map status '' to 'todo'", "map_values", {"fields": ["status"], "values": {"": "todo"}}),
    ("Strip spaces from first name", "trim", {"fields": ["first_name"], "collapse": False}),
    ("Collapse multiple spaces in 'organization'", "trim", {"fields": ["organization"], "collapse": True}),
    ("Lower-case 'email'", "change_case", {"fields": ["email"], "case": "lower"}),
    ("Capitalize first_name and last_name", "change_case", {"fields": ["first_name", "last_name"], "case": "title"}),
    ("Country must be upper case", "change_case", {"fields": ["country"], "case": "upper"}),
    ("First name and last name are mandatory", "required", {"fields": ["first_name", "last_name"]}),
    ("Drop records missing an email address", "required", {"fields": ["email"]}),
    ("'email' cannot be blank", "required", {"fields": ["email"]}),
    ("Default country to US", "default", {"fields": ["country"], "value": "US"}),
    ("Default 'priority' to '3'", "default", {"fields": ["priority"], "value": "3"}),
    ("Validate 'email' (set invalid ones to null)", "validate_email", {"fields": ["email"], "invalid": "null"}),
    ("Check that emails are valid", "validate_email", {"fields": ["email"], "invalid": "reject"}),
    ("Skip rows with malformed e-mail addresses", "validate_email", {"fields": ["email"], "invalid": "reject"}),
    ("Validate 'email'", "validate_email", {"fields": ["email"], "invalid": "reject"}),
])
def test_free_text_is_understood_into_parameters(text: str, rule: str, params: dict[str, Any]) -> None:
    assert understood(text) == (rule, params)


@pytest.mark.parametrize("text", [
    # quirks and descriptions are not rules
    "Phone numbers sometimes have country codes",
    "Dates in various formats",
    "everything else",
    "Use initials for avatar",
    "Random color from palette",
    # rules that mention phones, dates or emails but ask for something no rule does: never guessed
    "Normalize all phone numbers to E.164 except fax numbers",
    "Strip country codes from phone numbers",
    "Validate phone numbers",
    "Validate 'contact'",  # a text field: validate as what?
    "Parse all date formats to ISO-8601 and fix typos",
    "Title-case names",  # no field is called names
    "Map Company to upper case",
    "Skip duplicates (match by nickname)",  # a bare word that names no field
    "Default country",
    "Map status Open to todo",  # values must be quoted
    "Convert 'signed_up' to E.164 please",
])
def test_what_no_rule_understands_is_not_guessed(text: str) -> None:
    assert understood(text) is None


def test_a_rule_about_phones_is_not_taken_for_normalising_them() -> None:
    assert understood("Skip rows without a phone number") == ("required", {"fields": ["phone", "mobile"]})
    assert understood("Map 'Phone' field to 'Mobile'") == ("map_field", {"from": "Phone", "to": "mobile"})
    assert understood("Default phone to '+12025550143'") == ("default", {"fields": ["phone"],
                                                                        "value": "+12025550143"})


def test_a_quoted_name_is_kept_for_check_to_report() -> None:
    found = understand("Trim 'zip_code'", FIELDS)
    assert found is not None and found[1] == {"fields": ["zip_code"], "collapse": False}
    assert trim.check(found[1], FIELDS, COLUMNS) == [
        "there is no field 'zip_code' in the model (the fields are: " + ", ".join(FIELDS) + ")"]


def test_fields_by_type_follow_the_model() -> None:
    no_phones = {"email": FieldType("email"), "tel": FieldType("text")}
    found = understand("Normalize all phone numbers to E.164 (default region US)", no_phones)
    assert found is not None and found[1]["fields"] == []
    assert normalize_phone.check(found[1], no_phones, []) == [
        "applies to no field (no field of type phone in the model): name the fields, as in fields: [email]"]


@pytest.mark.parametrize(("spec", "rule", "params"), [
    ({"normalize_phone": {"field": "phone", "default_region": "US"}}, normalize_phone,
     {"fields": ["phone"], "default_region": "US", "invalid": "reject"}),
    ({"parse_dates": {"fields": ["signed_up"], "dayfirst": True}}, parse_dates,
     {"fields": ["signed_up"], "dayfirst": True}),
    ({"parse_dates": {"field": "signed_up"}}, parse_dates, {"fields": ["signed_up"], "dayfirst": False}),
    ({"skip_duplicates": {"fields": ["email"]}}, skip_duplicates, {"fields": ["email"]}),
    ({"map_field": {"from": "Company", "to": "organization"}}, map_field, {"from": "Company", "to": "organization"}),
    ({"trim": None}, trim, {"fields": "all", "collapse": False}),
    ({"change_case": {"field": "email", "case": "lower"}}, change_case, {"fields": ["email"], "case": "lower"}),
    ({"required": {"fields": ["email", "first_name"]}}, required, {"fields": ["email", "first_name"]}),
    ({"default": {"field": "country", "value": "US"}}, default, {"fields": ["country"], "value": "US"}),
    ({"validate_email": {"field": "email", "invalid": "keep"}}, validate_email, {"fields": ["email"], "invalid": "keep"}),
    ({"map_values": {"field": "status", "values": {"Open": "todo"}}}, map_values,
     {"fields": ["status"], "values": {"Open": "todo"}}),
])
def test_the_structured_form_gives_the_same_parameters(spec: dict[str, Any], rule: Any,
                                                       params: dict[str, Any]) -> None:
    assert structured(spec) == (rule, params)
    assert rule.check(params, FIELDS, COLUMNS) == []


@pytest.mark.parametrize(("spec", "message"), [
    ({"normalise_phone": {"field": "phone"}}, "there is no rule 'normalise_phone': did you mean 'normalize_phone'? "
     "the rules are: map_field, map_values, skip_duplicates, normalize_phone, parse_dates, validate_email, "
     "required, default, change_case, trim"),
    ({"trim": {}, "required": {}}, "a structured rule is one rule name with its parameters, like "
     "{normalize_phone: {field: phone, default_region: US}}"),
    ({"required": "email"}, "the parameters of required must be a mapping, like {fields}"),
    ({"required": {"field": "email", "fields": ["phone"]}}, "required takes `field:` (one) or `fields:` (a list), "
     "not both"),
])
def test_a_malformed_structured_rule_is_an_error_that_says_what_to_write(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        structured(spec)
    assert str(caught.value) == message


FIELD_LIST = ", ".join(FIELDS)


@pytest.mark.parametrize(("rule", "params", "problems"), [
    (normalize_phone, {"fields": ["phone"], "invalid": "reject"},
     ["needs a default region, for numbers written without a country code: add '(default region US)' to the "
      "rule, or `default_region: US`"]),
    (normalize_phone, {"fields": ["phone", "phon", "signed_up"], "default_region": "UK", "invalid": "drop",
                       "region": "US"},
     ["unknown parameter 'region' (did you mean 'default_region'?) (the parameters are: fields, default_region, "
      "invalid)",
      f"there is no field 'phon' in the model (did you mean 'phone'?) (the fields are: {FIELD_LIST})",
      "field 'signed_up' is of type date, not phone",
      "default_region 'UK' is not a region libphonenumber knows (the United Kingdom is GB): use an ISO 3166 code "
      "like US, GB or DE",
      "invalid must be one of reject, keep, null; not 'drop'"]),
    (parse_dates, {"fields": ["signed_up"], "dayfirst": "yes", "zone": "Europe/Pari"},
     ["dayfirst must be true or false; not 'yes'", "there is no time zone 'Europe/Pari': did you mean "
      "'Europe/Paris'?"]),
    (parse_dates, {"fields": ["active"], "dayfirst": False}, ["field 'active' is of type bool, not date or timestamp"]),
    (skip_duplicates, {"fields": []},
     ["needs the fields that identify a duplicate: 'Skip duplicates (match by email)', or `fields: [email]`"]),
    (map_field, {"from": "company", "to": "organisation"},
     [f"there is no field 'organisation' in the model (did you mean 'organization'?) (the fields are: {FIELD_LIST})"]),
    (map_field, {"from": "Employer", "to": "organization"},
     ["the source has no column 'Employer' (its columns are: First Name, Last Name, E-Mail Address, Phone, Company, "
      "Signed Up, Status)"]),
    (map_field, {"from": "Company"}, ["needs 'to': the model field it is loaded into"]),
    (map_values, {"fields": ["status"], "values": {"Open": "todo", " OPEN": "doing"}},
     ["values map ' OPEN' to 'doing' and to 'todo' (source values are compared trimmed and case-folded)"]),
    (map_values, {"fields": ["status"], "values": []},
     ["values must map source values to model values, like {Open: todo, Closed: done}"]),
    (change_case, {"fields": ["email"], "case": "camel"}, ["case must be one of lower, upper, title; not 'camel'"]),
    (trim, {"fields": "all", "collapse": "yes"}, ["collapse must be true or false; not 'yes'"]),
    (default, {"fields": ["country"]}, ["needs 'value': the value an empty field gets"]),
    (validate_email, {"fields": ["active"], "invalid": "reject"}, ["field 'active' is of type bool, not email"]),
    (required, {}, ["needs 'fields': the fields that must have a value (`field:` for one)",
                    "applies to no field: name the fields, as in fields: [id]"]),
])
def test_check_reports_what_a_person_can_act_on(rule: Any, params: dict[str, Any], problems: list[str]) -> None:
    assert rule.check(params, FIELDS, COLUMNS) == problems


def test_map_field_finds_the_column_as_the_file_spells_it() -> None:
    assert map_field.source_column({"from": "email address"}, COLUMNS) == "E-Mail Address"
    assert map_field.source_column({"from": "Company"}, COLUMNS) == "Company"
    assert map_field.source_column({"from": "Employer"}, COLUMNS) is None
    assert map_field.check({"from": "company", "to": "organization"}, FIELDS, COLUMNS) == []
    with pytest.raises(TypeError):
        map_field.prepare({"from": "Company", "to": "organization"})


def test_prepared_rules_pickle_for_the_worker_processes() -> None:
    rule = normalize_phone.prepare({"fields": ["phone"], "default_region": "US", "invalid": "reject"})
    copy = pickle.loads(pickle.dumps(rule))
    row = {"phone": "(202) 555-0143"}
    assert copy(row).changed and row == {"phone": "+12025550143"}
    dedupe = pickle.loads(pickle.dumps(skip_duplicates.prepare({"fields": ["email"]})))
    assert dedupe.key({"email": " Ann@Example.com"}) == "ann@example.com"
