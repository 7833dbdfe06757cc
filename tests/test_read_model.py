"""Reading a live database back as a data model (runner/read_model.py), on SQLite and PostgreSQL.

The promise: a database made by dbbasic's own `schema` plan reads back equal to the data model it was
compiled from, so the diff between the two has no step; what a data model cannot say is never read as
something it can.
"""

from __future__ import annotations

from pathlib import Path

from conftest import write_project

from dbbasic import api
from dbbasic.generators.model_diff import compile_model_change
from dbbasic.generators.schema import compile_data_model
from dbbasic.runner.connect import Database, connect, resolve_target
from dbbasic.runner.read_model import LiveModel, Unexpressed, is_opaque, read_model
from dbbasic.specs.model import DataModel, FieldType, Index, IndexColumn, Project
from dbbasic.sql.dialect import Dialect
from dbbasic.sql.schema_state import normalize_type

# Every semantic type, an enum (of text and of numbers), refs with each on_delete, unique fields and groups,
# a composite key, partial, descending and multi-column indexes, defaults: now, literals, booleans, JSON.
RICH = """
data:
  accounts:
    fields:
      id: id
      email: {type: email, required: true, unique: true}
      handle: {type: string(30), unique: true}
      site: url
      phone: phone
      bio: text
      age: {type: int, default: 18}
      visits: {type: bigint, default: -1, required: true}
      balance: {type: "decimal(10, 2)", default: 1.5}
      ratio: {type: float, default: 0.25}
      active: {type: bool, default: true, required: true}
      hidden: {type: bool, default: false}
      born: date
      joined: {type: timestamp, default: now, required: true}
      since: {type: date, default: now}
      prefs: {type: json, default: {a: 1, b: [1, 2]}}
      tier: {type: enum, values: [free, pro, "it's"], default: free, required: true}
      level: {type: enum, values: [1, 2, 3], default: 2}
      note: {type: text, default: "it's"}
      deleted_at: timestamp
    indexes:
      - [joined desc]
      - {columns: [tier, age desc], where: "deleted_at IS NULL AND tier = 'pro'"}
      - {columns: [site], unique: true, name: accounts_site_uq}
  tags:
    fields:
      id: uuid
      name: {type: string(40), required: true}
      owner_id: {ref: accounts, on_delete: set_null, index: true}
      parent_id: {ref: tags}
  account_tags:
    primary_key: [account_id, tag_id]
    fields:
      account_id: {ref: accounts, on_delete: cascade}
      tag_id: {ref: tags, on_delete: restrict}
      position: {type: int, required: true}
      weight: float
    unique:
      - [tag_id, position]
"""


def rich_model(tmp_path: Path) -> DataModel:
    root = write_project(tmp_path / "rich", {"specs/data.yaml": RICH})
    result = api.validate(root)
    assert result.specs is not None, result.problems
    return result.specs.data


def create(url: str, root: Path, model: DataModel) -> Database:
    """A database with the tables of `model` made by its `schema` plan, and a row in each."""
    db = connect(resolve_target(Project(), url, root), root)
    plan = compile_data_model(model, db.dialect)
    assert plan is not None
    with db.transaction():
        for step in plan.steps:
            for statement in step.up:
                db.execute(statement)
        db.execute("INSERT INTO accounts (email) VALUES ('ana@example.com')")
        db.execute("INSERT INTO tags (name, owner_id) VALUES ('red', 1)")
        db.execute("INSERT INTO account_tags (account_id, tag_id, position) SELECT 1, id, 1 FROM tags")
    return db


def changes(db: Database, live: LiveModel, model: DataModel) -> list[str]:
    assert model.source is not None
    plan = compile_model_change(live.model, model, "from-db", db.dialect, model.source)
    return [s.id for s in plan.steps]


def test_a_database_made_by_dbbasic_reads_back_as_its_data_model(db_url: str, tmp_path: Path) -> None:
    model = rich_model(tmp_path)
    db = create(db_url, tmp_path, model)
    try:
        live = read_model(db, like=model)
        assert live.unexpressed == ()
        assert live.model.tables == model.tables
        assert changes(db, live, model) == []
        assert db.query("SELECT count(*) FROM account_tags") == [(1,)]  # reading changed nothing
    finally:
        db.close()


def test_without_the_model_each_column_reads_as_the_plainest_type_stored_alike(db_url: str, tmp_path: Path) -> None:
    model = rich_model(tmp_path)
    db = create(db_url, tmp_path, model)
    try:
        live = read_model(db)
    finally:
        db.close()
    assert live.unexpressed == ()
    accounts = live.model.table("accounts")
    assert accounts is not None
    types = {f.name: str(f.type) for f in accounts.fields}
    # email, url and phone are stored as text: the database cannot tell them apart.
    assert types["email"] == types["site"] == types["phone"] == "text"
    assert types["handle"] == "string(30)" and types["joined"] == "timestamp" and types["prefs"] == "json"
    assert types["id"] == "id" and types["active"] == "bool"
    by_name = {f.name: f for f in accounts.fields}
    assert by_name["tier"].values == ("free", "pro", "it's") and by_name["tier"].default == "free"
    assert by_name["level"].values == ("1", "2", "3")  # an enum's CHECK holds text
    assert by_name["visits"].default == -1 and by_name["ratio"].default == 0.25
    assert by_name["active"].default is True and by_name["hidden"].default is False
    assert by_name["prefs"].default == {"a": 1, "b": [1, 2]} and by_name["joined"].default == "now"
    tags = live.model.table("tags")
    assert tags is not None
    assert [(f.name, f.ref, f.on_delete) for f in tags.fields if f.ref] == [("owner_id", "accounts", "set_null"),
                                                                            ("parent_id", "tags", None)]
    assert tags.indexes == (Index((IndexColumn("owner_id"),)),)  # `index: true` and this entry are one index
    link = live.model.table("account_tags")
    assert link is not None and link.primary_key == ("account_id", "tag_id") and link.unique == (("tag_id", "position"),)


def test_columns_the_spec_language_cannot_say_are_kept_opaque_and_listed(db_url: str, tmp_path: Path) -> None:
    db = connect(resolve_target(Project(), db_url, tmp_path), tmp_path)
    odd_type = "money" if db.dialect.name == "postgres" else "BLOB"
    try:
        with db.transaction():
            db.execute(f'CREATE TABLE "prices" ("id" integer PRIMARY KEY, "amount" {odd_type}, '
                       '"qty" integer CONSTRAINT "prices_qty_check" CHECK ("qty" > 0))')
            db.execute('CREATE INDEX "prices_lower_idx" ON "prices" (("qty" + 1))')
            db.execute("INSERT INTO prices (id, qty) VALUES (1, 2)")
        live = read_model(db)
    finally:
        db.close()
    prices = live.model.table("prices")
    assert prices is not None
    amount = prices.field("amount")
    assert amount is not None and is_opaque(amount.type) and amount.type != FieldType("decimal")
    assert set(live.unexpressed) == {
        Unexpressed("prices", "amount", f"type {odd_type} (not a type dbbasic writes)"),
        Unexpressed("prices", "qty", "CHECK prices_qty_check (qty > 0)"),
        Unexpressed("prices", None, "index prices_lower_idx: it indexes an expression"),
    }


def test_read_types_invert_the_type_mapping() -> None:
    """Each semantic type is stored as an SQL type that reads back as a semantic type stored alike."""
    for name in Dialect.names():
        dialect = Dialect.get(name)
        for semantic, sql in dialect.TYPE_MAPPING.items():
            base = normalize_type(dialect, sql).split("(")[0]
            assert dialect.TYPE_MAPPING[dialect.READ_TYPES[base]] == sql, (name, semantic)
