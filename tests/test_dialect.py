"""The dialect layer: the one quoting function, statement splitting, canonical token strings."""

from __future__ import annotations

import pytest

from dbbasic.runner.connect import redact
from dbbasic.sql.dialect import Dialect


@pytest.mark.parametrize("name", ["postgres", "sqlite"])
def test_quote_and_literal_escape_what_they_must(name: str) -> None:
    d = Dialect.get(name)
    assert d.quote('say "hi"') == '"say ""hi"""'
    assert d.literal("it's") == "'it''s'"
    assert d.literal({"b": 1, "a": [True]}) == """'{"a":[true],"b":1}'"""
    with pytest.raises(ValueError, match="NaN and infinity"):
        d.literal(float("nan"))


def test_booleans_per_dialect() -> None:
    assert Dialect.get("postgres").literal(True) == "TRUE" and Dialect.get("sqlite").literal(True) == "1"


def test_split_keeps_trigger_bodies_whole() -> None:
    script = ("CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 END; "
              "INSERT INTO c VALUES (1); END; SELECT ';'; create table \"end\" (a int)")
    assert Dialect.get("sqlite").split(script) == [
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET x = CASE WHEN 1 THEN 2 END; INSERT INTO c VALUES (1); END",
        "SELECT ';'", 'create table "end" (a int)']


def test_canonical_tokens_ignore_layout_but_keep_literals_and_quoted_names() -> None:
    d = Dialect.get("postgres")
    assert d.normalize("select  A from t -- note") == d.normalize("SELECT a\nFROM T")
    assert d.normalize("SELECT 'A'") != d.normalize("SELECT 'a'")
    assert d.normalize('SELECT "A" FROM t') != d.normalize('SELECT "a" FROM t')


def test_a_translation_that_sqlglot_cannot_make_is_refused() -> None:
    assert Dialect.get("sqlite").translate("VACUUM users", Dialect.get("postgres")) is None
    assert Dialect.get("sqlite").translate("SELECT 1::int", Dialect.get("postgres")) == "SELECT CAST(1 AS INTEGER)"


@pytest.mark.parametrize(("text", "shown"), [
    ("postgresql://app:hunter2@db/app", "postgresql://app:***@db/app"),
    ("postgresql://app:hun?ter2@db/app", "postgresql://app:***@db/app"),
    ("postgresql://app:p/w#x@db/app", "postgresql://app:***@db/app"),
    ("postgresql://db/app?sslmode=require&password=hunter2", "postgresql://db/app?sslmode=require&password=***"),
    ("could not connect to postgresql://a:hunter2@db/x: timeout", "could not connect to postgresql://a:***@db/x: timeout"),
    ("sqlite:///var/dev.db", "sqlite:///var/dev.db"),
])
def test_passwords_are_redacted_wherever_they_stand(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_a_lock_not_granted_and_a_broken_deadlock_are_retried_on_postgres_other_errors_are_not() -> None:
    class Failed(Exception):
        def __init__(self, sqlstate: str):
            self.sqlstate = sqlstate

    postgres = Dialect.get("postgres")
    assert [postgres.is_lock_timeout(Failed(s)) for s in ("55P03", "40P01", "23505")] == [True, True, False]
