"""common_migrations: a team binds a library pattern's parameters under a name of its own and uses that name
in `pattern:`; the plans are those of the library pattern with the merged parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_project

from dbbasic import api
from dbbasic.errors import SpecError
from dbbasic.generators.patterns import BY_NAME, compile_pattern
from dbbasic.specs.model import Migration
from dbbasic.sql.dialect import Dialect

FILES = {
    "specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
    "specs/data.yaml": """
        data:
          users:
            fields: {id: id, phone: phone, mobile: phone}
          vendors:
            fields: {id: id, phone: phone}
        """,
    "specs/team.yaml": """
        common_migrations:
          e164_us:
            pattern: normalize_phones
            description: "Our phone standard: E.164, US numbers when no country code"
            options: {default_region: US}
        """,
    "specs/migrations/users.yaml": """
        migrations:
          - task: "Normalize users.phone"
            pattern: e164_us
            model: users
            field: phone
          - task: "Normalize users.mobile, Canadian when no code"
            pattern: e164_us
            model: users
            field: mobile
            options: {default_region: CA, report: mobile_report}
        """,
}


def _compiled(root: Path) -> dict[str, Migration]:
    validation = api.validate(root)
    assert validation.specs is not None and not validation.errors, [p.render() for p in validation.problems]
    return {m.id: m for m in validation.specs.migrations}


def test_a_common_migration_compiles_as_its_pattern_with_the_bound_parameters(tmp_path: Path) -> None:
    root = write_project(tmp_path / "team", FILES)
    plain_files = {path: text for path, text in FILES.items() if path != "specs/team.yaml"}
    written_out = write_project(tmp_path / "plain", {**plain_files, "specs/migrations/users.yaml": """
        migrations:
          - task: "Normalize users.phone"
            pattern: normalize_phones
            model: users
            field: phone
            options: {default_region: US}
          - task: "Normalize users.mobile, Canadian when no code"
            pattern: normalize_phones
            model: users
            field: mobile
            options: {default_region: CA, report: mobile_report}
        """})
    team, plain = _compiled(root), _compiled(written_out)
    assert team.keys() == plain.keys() == {"migrations/users/1", "migrations/users/2"}
    model = api.validate(root).specs.data  # type: ignore[union-attr]
    for plan_id in team:
        for dialect in ("postgres", "sqlite"):
            ours = compile_pattern(team[plan_id], model, Dialect.get(dialect))
            theirs = compile_pattern(plain[plan_id], model, Dialect.get(dialect))
            assert ours.hash() == theirs.hash() and ours.steps == theirs.steps
            assert ours.generator == "pattern.normalize_phones"
            assert "Our phone standard" in ours.description and "Common migration `e164_us`" in ours.description
    mobile = team["migrations/users/2"]
    assert mobile.options["options"] == {"default_region": "CA", "report": "mobile_report"}


def _problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    root = write_project(tmp_path / "p", {**FILES, **files})
    with pytest.raises(SpecError) as raised:
        api.plan(root)
    return [p.render() for p in raised.value.problems]


def test_a_common_migration_must_bind_a_library_pattern(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"specs/team.yaml": """
        common_migrations:
          e164_us:
            pattern: normalize_phone
            options: {default_region: US}
        """})
    assert problems == [
        "specs/team.yaml:2:1: error[unknown-pattern]: common migration 'e164_us' binds 'normalize_phone', which "
        "is not a library pattern\n  hint: did you mean 'normalize_phones'? known patterns: "
        + ", ".join(sorted(BY_NAME))
        + "; docs/patterns.md describes each"]


def test_a_common_migration_may_not_hide_a_library_pattern(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"specs/team.yaml": """
        common_migrations:
          normalize_phones:
            pattern: normalize_phones
            options: {default_region: US}
        """})
    assert any("error[common-migration-name]: common migration 'normalize_phones' has the name of a library "
               "pattern" in p and p.startswith("specs/team.yaml:2:") for p in problems)


def test_bad_parameters_are_reported_where_the_migration_uses_them(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"specs/team.yaml": """
        common_migrations:
          e164_us:
            pattern: normalize_phones
            options: {default_region: US, region: US}
        """})
    assert problems[0].startswith("specs/migrations/users.yaml:2:1: error[pattern-parameter]: migration "
                                  "'migrations/users/1': pattern normalize_phones has no option `region`")


def test_a_name_defined_twice_and_unknown_keys_are_validation_errors(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {**FILES, "specs/more.yaml": """
        common_migrations:
          e164_us:
            pattern: add_soft_delete
            table: users
        """})
    rendered = [p.render() for p in api.validate(root).errors]
    assert any(r.startswith("specs/more.yaml:4:") and "table" in r for r in rendered), rendered
    root = write_project(tmp_path / "q", {**FILES, "specs/more.yaml": """
        common_migrations:
          e164_us:
            pattern: add_soft_delete
        """})
    rendered = [p.render() for p in api.validate(root).errors]
    assert rendered == ["specs/team.yaml:2:3: error[duplicate-common-migration]: common migration 'e164_us' is "
                        "defined twice (first at specs/more.yaml:2)\n  hint: give one of them another name"]
