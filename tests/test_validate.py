"""Validation: each kind of mistake gives one located error with a hint, and good specs pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_project

from dbbasic import api

USERS = """
data:
  users:
    fields:
      id: id
      email: {type: email, required: true}
"""


def problems_of(tmp_path: Path, files: dict[str, str]) -> list[str]:
    result = api.validate(write_project(tmp_path, files))
    return [p.render() for p in result.problems]


CASES = {
    "unknown type, with a suggestion": (
        {"specs/data.yaml": "data:\n  users:\n    fields:\n      id: id\n      name: strnig\n"},
        "specs/data.yaml:5:13: error[unknown-type]: unknown type 'strnig'\n  hint: did you mean 'string'?"),
    "ref to a missing table": (
        {"specs/data.yaml": USERS + "  todos:\n    fields:\n      id: id\n      owner: {ref: user}\n"},
        "specs/data.yaml:9:20: error[unknown-ref]: 'owner' refers to table 'user', which is not defined\n"
        "  hint: did you mean 'users'?"),
    "enum default not among its values": (
        {"specs/data.yaml": USERS + "      state: {type: enum, values: [a, b], default: c}\n"},
        "specs/data.yaml:6:52: error[enum-default]: default 'c' is not among the values of 'state'"),
    "two fields equal after case folding": (
        {"specs/data.yaml": USERS + "      Email: text\n"},
        "specs/data.yaml:6:7: error[duplicate-field]: field 'Email' is already defined as 'email' at "
        "specs/data.yaml:5:7 (names are compared ignoring case)"),
    "name over 63 bytes on PostgreSQL": (
        {"specs/data.yaml": USERS + "      " + "x" * 64 + ": text\n"},
        "specs/data.yaml:6:7: error[name-too-long]: field name '" + "x" * 64 + "' is 64 bytes; postgres keeps "
        "only 63 and would silently cut it"),
    "unknown key in a field, with a suggestion": (
        {"specs/data.yaml": USERS + "      age: {type: int, requird: true}\n"},
        "specs/data.yaml:6:24: error[unknown-key]: unknown key 'requird' in age\n  hint: did you mean 'required'?"),
    "bad on_delete value": (
        {"specs/data.yaml": USERS + "  todos:\n    fields:\n      id: id\n"
                                    "      user_id: {ref: users, on_delete: explode}\n"},
        "specs/data.yaml:9:40: error[schema-enum]: 'explode' is not a valid value for 'on_delete'"),
    "unknown top-level key": (
        {"specs/data.yaml": USERS + "migraton:\n  task: x\n"},
        "specs/data.yaml:6:1: error[unknown-section]: unknown top-level key 'migraton'\n"
        "  hint: did you mean 'migration'?"),
    "tier ranges that overlap": (
        {"specs/data.yaml": USERS, "specs/scaling.yaml": """
            scaling:
              automatic_tiers:
                small: {users: < 1000, config: {servers: 1}}
                medium: {users: 500-10000, config: {servers: 2}}
                large: {users: "> 10000", config: {servers: 3}}
            """},
        "specs/scaling.yaml:4:5: error[tier-ranges]: tier 'medium' (500-10000) overlaps tier 'small' (< 1000)"),
    "tier ranges that leave a gap": (
        {"specs/data.yaml": USERS, "specs/scaling.yaml": """
            scaling:
              automatic_tiers:
                small: {users: < 1000, config: {servers: 1}}
                large: {users: "> 2000", config: {servers: 3}}
            """},
        "specs/scaling.yaml:4:5: error[tier-ranges]: gap between tier 'small' (< 1000) and tier 'large' "
        "(> 2000): values 1000 to 2000 belong to no tier"),
    "a migration naming a missing model": (
        {"specs/data.yaml": USERS, "specs/migrations/sd.yaml": "migration:\n  task: soft delete\n"
                                                              "  pattern: add_soft_delete\n  model: todos\n"},
        "specs/migrations/sd.yaml:4:10: error[unknown-model]: model 'todos' is not in the data model"),
    "a migration naming a missing field": (
        {"specs/data.yaml": USERS, "specs/migrations/split.yaml": "migration:\n  task: split\n"
                                                                 "  pattern: split_name_field\n  model: users\n"
                                                                 "  field: full_name\n"},
        "specs/migrations/split.yaml:5:10: error[unknown-field]: 'full_name' is not a field of 'users'"),
    "a migration with two kinds": (
        {"specs/data.yaml": USERS, "specs/migrations/x.yaml": "migration:\n  task: x\n  pattern: p\n"
                                                             "  steps: [{sql: SELECT 1}]\n"},
        "specs/migrations/x.yaml:1:1: error[migration-kind]: a migration takes only one of: steps, pattern, "
        "specification, move"),
    "a batched step without its bounds": (
        {"specs/data.yaml": USERS, "specs/migrations/b.yaml": """
            migration:
              task: backfill
              steps:
                - batched: "UPDATE users SET email = lower(email)"
                  table: users
                  key: id
            """},
        "specs/migrations/b.yaml:4:16: error[batched-bounds]: a batched statement must use both %(after)s and "
        "%(upto)s"),
    "a lone percent in a batched step": (
        {"specs/data.yaml": USERS, "specs/migrations/b.yaml": """
            migration:
              task: backfill
              steps:
                - batched:
                    postgres: "UPDATE users SET email = lower(email) WHERE id % 2 = 0 AND id > %(after)s AND id <= %(upto)s"
                    sqlite: "UPDATE users SET email = lower(email) WHERE id %% 2 = 0 AND id > %(after)s AND id <= %(upto)s"
                  table: users
                  key: id
            """},
        "specs/migrations/b.yaml:5:19: error[batched-percent]: a `%` in a batched statement is read as a placeholder "
        "(the statement is run with its %(after)s and %(upto)s bounds)"),
    "a batched key that may be NULL": (
        {"specs/data.yaml": USERS + "      rank: int\n", "specs/migrations/b.yaml": """
            migration:
              task: backfill
              steps:
                - batched: "UPDATE users SET rank = 0 WHERE rank > %(after)s AND rank <= %(upto)s"
                  table: users
                  key: rank
            """},
        "specs/migrations/b.yaml:6:12: error[batched-key]: 'rank' may be NULL: rows with a NULL key would never be "
        "visited"),
    "a check without expect": (
        {"specs/data.yaml": USERS, "specs/migrations/c.yaml": "migration:\n  task: c\n  steps:\n"
                                                             "    - check: SELECT count(*) FROM users\n"},
        "specs/migrations/c.yaml:4:7: error[check-expect]: a check step needs `expect:`"),
    "SQL that cannot be translated to another dialect": (
        {"specs/dbbasic.yaml": "project:\n  dialects: [postgres, sqlite]\n",
         "specs/data.yaml": USERS, "specs/migrations/v.yaml": "migration:\n  task: v\n  steps:\n"
                                                            "    - sql: VACUUM users\n"},
        "specs/migrations/v.yaml:4:12: error[sql-translate]: cannot translate this postgres SQL to sqlite: "
        "VACUUM users"),
    "an import into a missing model": (
        {"specs/data.yaml": USERS, "specs/data/x.csv": "a\n1\n", "specs/imports.yaml": """
            one_time_tasks:
              legacy:
                source: {path: specs/data/x.csv}
                target: {model: customers}
            """},
        "specs/imports.yaml:4:21: error[unknown-model]: import target 'customers' is not in the data model"),
    "a transaction statement inside a step": (
        {"specs/data.yaml": USERS, "specs/migrations/t.yaml": "migration:\n  task: t\n  steps:\n"
                                                             "    - sql: [\"UPDATE users SET email = ''\", COMMIT]\n"},
        "specs/migrations/t.yaml:4:12: error[transaction-control]: `COMMIT` inside a step: dbbasic runs each step in "
        "its own transaction"),
    "a check that is not a query": (
        {"specs/data.yaml": USERS, "specs/migrations/c.yaml": "migration:\n  task: c\n  steps:\n"
                                                             "    - check: DROP TABLE users\n      expect: 0\n"},
        "specs/migrations/c.yaml:4:14: error[check-query]: a check is one query (SELECT) returning one value"),
    "a plan id that climbs out of generated/": (
        {"specs/data.yaml": USERS, "specs/migrations/x.yaml": "migration:\n  task: x\n  id: a/../../escape\n"
                                                             "  steps: [{check: SELECT 1, expect: 1}]\n"},
        "specs/migrations/x.yaml:3:7: error[plan-id]: 'a/../../escape' cannot be a plan id"),
    "a name with a newline": (
        {"specs/data.yaml": 'data:\n  "notes\\nDROP TABLE users;":\n    fields: {id: id}\n'},
        "specs/data.yaml:2:3: error[bad-name]: table name 'notes\\nDROP TABLE users;' is empty or holds a control "
        "character"),
    "two generated names that clash": (
        {"specs/data.yaml": USERS + "      code: {type: text, index: true}\n    indexes: [[code]]\n"},
        "specs/data.yaml:2:3: error[name-clash]: an index of users would be named 'users_code_idx' on postgres, "
        "the name of an index of users"),
    "a default that is not a number SQL knows": (
        {"specs/data.yaml": USERS + "      ratio: {type: float, default: .nan}\n"},
        "specs/data.yaml:6:37: error[default-type]: default nan does not fit type float"),
    "refs whose keys refer back in a circle": (
        {"specs/data.yaml": """
            data:
              a: {fields: {id: {ref: b}}, primary_key: id}
              b: {fields: {id: {ref: a}}, primary_key: id}
            """},
        "specs/data.yaml:2:26: error[ref-key]: 'id' refers to a key that refers back, in a circle"),
}


@pytest.mark.parametrize("name", CASES)
def test_each_mistake_is_one_located_error_with_a_hint(tmp_path: Path, name: str) -> None:
    files, expected = CASES[name]
    found = problems_of(tmp_path, files)
    assert any(p.startswith(expected) for p in found), "\n".join(found)
    assert api.validate(tmp_path).specs is None


def test_reserved_words_are_valid_names(tmp_path: Path) -> None:
    found = problems_of(tmp_path, {"specs/data.yaml": """
        data:
          user:
            fields: {id: id, order: int, group: text, select: bool}
          order:
            fields: {id: id, user: {ref: user}}
        """})
    assert found == []


def test_the_design_examples_validate(tmp_path: Path) -> None:
    design = (Path(__file__).resolve().parents[2] / "shared" / "DESIGN.md")
    if not design.exists():
        pytest.skip("shared/DESIGN.md is not beside the repository")
    text = design.read_text()
    blocks = text.split("```yaml\n")[1].split("```")[0]
    files: dict[str, str] = {}
    current = None
    for line in blocks.splitlines():
        if line.startswith(("# specs/", "# docs/")):
            current = line[2:].strip().split()[0]
            files[current] = ""
        elif current:
            files[current] += line + "\n"
    files = {k.replace("docs/examples/", "specs/examples/"): v for k, v in files.items()}
    files["specs/data/salesforce_export.csv"] = "Email,Phone,Company,Created\n"
    result = api.validate(write_project(tmp_path, files))
    # The import example does not compile as written, and says why: dbbasic does not guess the region of
    # numbers without a country code, and DESIGN's `users` has no Organization field. Nor does the scaling
    # example: its archive moves todos by `completed_at`, a field DESIGN's todos lacks (the example project
    # has it); and its sharded tier waits, as Citus would refuse the model (a warning).
    errors = [p for p in result.problems if p.level == "error"]
    assert {(p.file, p.code) for p in errors} == {("specs/imports/legacy.yaml", "rule-parameter"),
                                                  ("specs/scaling.yaml", "scaling")}
    assert [m for p in errors for m in ("default region", "'Organization'", "names completed_at") if m in p.message
            ] == ["default region", "'Organization'", "names completed_at"]
    assert {p.code for p in result.problems} - {"rule-parameter", "scaling"} <= {"loose-range", "scaling-citus"}


def test_tier_ranges_from_the_design_are_contiguous(tmp_path: Path) -> None:
    found = problems_of(tmp_path, {"specs/data.yaml": USERS, "specs/scaling.yaml": """
        scaling:
          monitor: growth_rate
          automatic_tiers:
            startup:    {users: < 1000,         config: {servers: 1, cache: none}}
            growing:    {users: 1000-10000,     config: {servers: auto_scale(2-5), cache: redis}}
            scale:      {users: 10000-100000,   config: {servers: auto_scale(5-20)}}
            enterprise: {users: > 100000,       config: {deployment: multi_region}}
        """})
    assert [p.split(": ")[1] for p in found] == ["warning[loose-range]"]


def test_a_ref_to_a_key_that_is_itself_a_ref_takes_the_final_type(tmp_path: Path) -> None:
    from dbbasic.generators.schema import compile_data_model
    from dbbasic.sql.dialect import Dialect

    result = api.validate(write_project(tmp_path, {"specs/data.yaml": """
        data:
          users: {fields: {id: id}}
          profiles: {fields: {user_id: {ref: users}}, primary_key: user_id}
          avatars: {fields: {id: id, profile_id: {ref: profiles}}}
        """}))
    assert result.specs is not None
    plan = compile_data_model(result.specs.data, Dialect.get("postgres"))
    assert plan is not None
    assert '"profile_id" bigint' in plan.steps[2].up[0]  # type: ignore[union-attr]


def test_migrations_of_a_list_apply_in_the_order_written(tmp_path: Path) -> None:
    items = "".join(f"  - task: t{i}\n    steps: [{{check: SELECT {i}, expect: {i}}}]\n" for i in range(1, 12))
    result = api.validate(write_project(tmp_path, {"specs/data.yaml": USERS, "specs/list.yaml": "migrations:\n" + items}))
    assert result.specs is not None
    assert [m.id for m in result.specs.migrations] == [f"list/{i}" for i in range(1, 12)]
