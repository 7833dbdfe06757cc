"""The dry run's invented rows (dbbasic/planner/samples.py): every constraint of the data model honoured, the
same rows for the same seed, and the edge cases a migration meets in real tables."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import write_project
from patterns.pattern_cases import apply, database

from dbbasic import api
from dbbasic.generators.schema import compile_data_model
from dbbasic.importers.cast import cast
from dbbasic.planner.samples import PEOPLE, CannotSample, sample_rows
from dbbasic.planner.scratch import fill
from dbbasic.specs.model import DataModel

# Every semantic type, a self-reference, a uuid key and refs to it, a composite key, unique fields, a unique
# group and a unique index; a table written before the tables it refers to.
DATA = """
data:
  members:
    primary_key: [team_id, user_id]
    fields:
      team_id: {ref: teams, required: true, on_delete: cascade}
      user_id: {ref: users, required: true}
      title: text
    indexes:
      - {columns: [user_id, title], unique: true}
  users:
    fields:
      id: id
      full_name: {type: text, required: true}
      nickname: string(12)
      email: {type: email, unique: true, required: true}
      phone: phone
      website: url
      code: {type: string(6), unique: true}
      age: int
      karma: bigint
      balance: decimal(10,2)
      score: float
      active: {type: bool, required: true}
      born: date
      joined: {type: timestamp, default: now}
      settings: json
      role: {type: enum, values: [admin, member, guest], default: member}
      manager_id: {ref: users}
  teams:
    fields:
      id: uuid
      name: {type: string(40), required: true}
      owner_id: {ref: users, required: true}
      level: {type: enum, values: [1, 2, 3]}
    unique: [[owner_id, name]]
"""


def load(tmp_path: Path, data: str) -> DataModel:
    root = write_project(tmp_path / "project", {"specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
                                                "specs/data.yaml": data})
    validation = api.validate(root)
    assert validation.specs is not None and not validation.errors, [p.render() for p in validation.problems]
    return validation.specs.data


@pytest.fixture
def model(tmp_path: Path) -> DataModel:
    return load(tmp_path, DATA)


def test_the_samples_go_into_the_data_models_own_schema_with_foreign_keys_enforced(model: DataModel, db_url: str,
                                                                                   tmp_path: Path) -> None:
    samples = sample_rows(model)
    with database(db_url, tmp_path) as db:
        schema = compile_data_model(model, db.dialect)
        assert schema is not None
        apply(db, schema)
        fill(db, model, samples)
        assert {table: len(rows) for table, rows in samples.items()} == {"users": 200, "teams": 200, "members": 200}
        assert list(samples) == ["users", "teams", "members"]  # parents first
        # The database numbered the users as the samples did, so the refs point at the rows they meant.
        stored = db.query("SELECT id, full_name, manager_id FROM users ORDER BY id")
        assert stored == [(r["id"], r["full_name"], r["manager_id"]) for r in samples["users"]]
        assert db.query("SELECT count(*) FROM members")[0][0] == 200
        if db.dialect.name == "sqlite":
            assert db.query("PRAGMA foreign_key_check") == []


def test_a_seed_gives_the_same_rows_every_time(model: DataModel) -> None:
    assert sample_rows(model, seed=7) == sample_rows(model, seed=7)
    assert sample_rows(model, seed=7) != sample_rows(model, seed=8)
    assert [len(rows) for rows in sample_rows(model, rows=0).values()] == [0, 0, 0]


def test_every_value_is_one_the_importer_would_store_for_its_field(model: DataModel) -> None:
    samples = sample_rows(model)
    for table in model.tables:
        for field in table.fields:
            if field.ref is None and field.type.name != "id":
                for row in samples[table.name]:
                    assert cast(row[field.name], field.type, field.values) == (row[field.name], ""), (field, row)
    users = samples["users"]
    assert all(re.fullmatch(r"\+[1-9][0-9]{8,14}", u["phone"]) for u in users if u["phone"] is not None)
    assert all(str(uuid.UUID(t["id"])) == t["id"] for t in samples["teams"])
    assert {u["role"] for u in users} == {"admin", "member", "guest", None}


def test_about_one_row_in_seven_is_null_in_each_nullable_column(model: DataModel) -> None:
    samples = sample_rows(model)
    for table in model.tables:
        for field in table.fields:
            nulls = sum(row[field.name] is None for row in samples[table.name])
            if field.required or field.name in table.primary_key:
                assert nulls == 0, field.name
            else:
                assert 10 <= nulls <= 50, (table.name, field.name, nulls)


def test_keys_and_unique_values_are_unique_and_refs_point_at_rows(model: DataModel) -> None:
    samples = sample_rows(model)
    users, teams, members = samples["users"], samples["teams"], samples["members"]

    def unique(rows: list[dict[str, Any]], *columns: str) -> bool:
        values = [tuple(r[c] for c in columns) for r in rows if all(r[c] is not None for c in columns)]
        return len(values) == len(set(values))

    assert [u["id"] for u in users] == list(range(1, 201))
    assert unique(users, "email") and unique(users, "code") and unique(teams, "id")
    assert unique(teams, "owner_id", "name") and unique(members, "team_id", "user_id")
    assert unique(members, "user_id", "title")
    user_ids, team_ids = {u["id"] for u in users}, {t["id"] for t in teams}
    assert {t["owner_id"] for t in teams} <= user_ids and {m["team_id"] for m in members} <= team_ids
    # A ref to the row's own table points at an earlier row.
    assert all(u["manager_id"] is None or u["manager_id"] < u["id"] for u in users)
    assert all(len(u["nickname"]) <= 12 for u in users if u["nickname"] is not None)


def test_names_hold_the_edge_cases_a_migration_meets(model: DataModel) -> None:
    names = {u["full_name"] for u in sample_rows(model)["users"]}
    assert set(PEOPLE) <= names
    assert {"Ada Lovelace", "Björk", "", " ", "  Ada Lovelace", "Grace Hopper  ", "Seán O'Brien"} <= names


def test_a_unique_column_with_few_values_gets_fewer_rows(tmp_path: Path) -> None:
    model = load(tmp_path, "data:\n  flags:\n    fields:\n      id: id\n      on: {type: bool, unique: true}\n")
    assert [f["on"] for f in sample_rows(model, rows=50)["flags"] if f["on"] is not None] in ([True, False],
                                                                                               [False, True])


def test_a_required_ref_to_the_rows_own_table_starts_with_a_row_pointing_at_itself(tmp_path: Path) -> None:
    model = load(tmp_path, "data:\n  nodes:\n    fields:\n      id: id\n      parent_id: {ref: nodes, required: true}\n")
    nodes = sample_rows(model, rows=5)["nodes"]
    assert nodes[0] == {"id": 1, "parent_id": 1}
    assert all(n["parent_id"] <= n["id"] for n in nodes)


def test_a_cycle_of_refs_is_null_where_it_may_be_and_an_error_where_it_must_not(tmp_path: Path) -> None:
    optional = load(tmp_path / "optional", """
data:
  people:
    fields: {id: id, team_id: {ref: teams}}
  teams:
    fields: {id: id, lead_id: {ref: people, required: true}}
""")
    samples = sample_rows(optional, rows=20)
    assert all(p["team_id"] is None for p in samples["people"])
    assert {t["lead_id"] for t in samples["teams"]} <= {p["id"] for p in samples["people"]}
    required = load(tmp_path / "required", """
data:
  people:
    fields: {id: id, team_id: {ref: teams, required: true}}
  teams:
    fields: {id: id, lead_id: {ref: people, required: true}}
""")
    with pytest.raises(CannotSample, match=r"^people\.team_id is required and refers to teams, whose refs lead back "
                                           r"to people: no row of either can be the first; make one ref of the "
                                           r"cycle optional$"):
        sample_rows(required)

