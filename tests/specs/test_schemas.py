"""The JSON Schemas of the spec language: what they accept, where they point when they refuse, and their
export for editors. The YAML below is the design's examples, written exactly as authors write them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from dbbasic.specs.reference import REFERENCE_PATH, REGENERATE, render_reference, repo_root
from dbbasic.specs.schema import SCHEMA_NAMES, TOP_LEVEL, export_schemas, load_schema, spec_file_schema

# The design's example spec files. (`users: > 100000` is not valid YAML: `>` starts a folded block, so it is
# quoted, as the reference says.)
DESIGN_EXAMPLES: dict[str, str] = {
    "specs/dbbasic.yaml": """
project:
  name: todo-app
  targets:                      # where plans are applied
    dev: sqlite:///var/dev.db
    prod: ${DATABASE_URL}
  dialect: postgres
""",
    "specs/data.yaml": """
data:
  users:
    fields:
      id: id
      email: {type: email, unique: true, required: true}
      full_name: text
      phone: phone
      created_at: {type: timestamp, default: now}
    indexes:
      - [created_at desc]
  todos:
    fields:
      id: uuid
      user_id: {ref: users, required: true, on_delete: cascade}
      status: {type: enum, values: [todo, in_progress, done], default: todo}
      title: {type: text, required: true}
""",
    "specs/migrations/soft_delete.yaml": """
migration:
  task: "Add soft delete to todos"
  pattern: add_soft_delete
  model: todos
""",
    "specs/migrations/recount.yaml": """
migration:
  task: "Recount todos per user"
  steps:
    - sql: "ALTER TABLE users ADD COLUMN todo_count integer"
      down: "ALTER TABLE users DROP COLUMN todo_count"
    - batched: "UPDATE users SET todo_count = (SELECT count(*) FROM todos WHERE todos.user_id = users.id)
                WHERE id > %(after)s AND id <= %(upto)s"
      table: users
      key: id
    - check: "SELECT count(*) FROM users WHERE todo_count IS NULL"
      expect: 0
""",
    "docs/examples/avatars.yaml": """
migration:
  task: "Add avatars to users"
  specification:
    for: "all existing users"
    do: "generate default avatar"
    rules:
      - "Use initials for avatar"
      - "Random color from palette"
  ai_handles: [Edge cases, Error recovery, Progress tracking, Rollback if needed]
""",
    "specs/imports/legacy.yaml": """
one_time_tasks:
  import_legacy_data:
    source:
      path: specs/data/salesforce_export.csv
      type: "CSV export from SalesForce"
      quirks:
        - "Phone numbers sometimes have country codes"
        - "Dates in various formats"
    target:
      model: users
    rules:
      - "Normalize all phone numbers to E.164"
      - "Skip duplicates (match by email)"
      - "Map 'Company' field to 'Organization'"
      - "Parse all date formats to ISO-8601"
    ai_handles: "everything else"
""",
    "specs/scaling.yaml": """
scaling:
  monitor: growth_rate
  automatic_tiers:
    startup:    {users: < 1000,         config: {servers: 1, cache: none}}
    growing:    {users: 1000-10000,     config: {servers: auto_scale(2-5), cache: redis}}
    scale:      {users: 10000-100000,   config: {servers: auto_scale(5-20), cache: edge_cdn, database: read_replicas(3)}}
    enterprise: {users: "> 100000",     config: {deployment: multi_region, cache: global_edge, database: sharded}}
  partitioning:
    todos:
      active:  {by: hash(user_id), partitions: 16, when: "status in ('todo', 'in_progress')"}
      archive: {by: range(archived_at), interval: month, premake: 3, retention: 12 months,
                move: "status = 'done' and completed_at < now() - interval '30 days'"}
""",
    "scaling short form, first day": "scaling: {type: single_server, users: < 1000}",
    "scaling short form, later": "scaling: {type: auto_scale, users: 1000-10000, add: read_replicas}",
    "scaling short form, distributed": "scaling: {type: distributed, users: '>= 100000', regions: [eu, us]}",
    "a file with a list of migrations": """
migrations:
  - {task: "Add soft delete to todos", pattern: add_soft_delete, model: todos}
  - task: "Index todos by user, concurrently on PostgreSQL"
    steps:
      - sql:
          postgres: "CREATE INDEX CONCURRENTLY todos_user_id ON todos (user_id)"
          sqlite: "CREATE INDEX todos_user_id ON todos (user_id)"
        transactional: false
""",
}


def values_by_kind(document: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(top-level key, schema name, value) for each value of a spec file, unpacking lists and mappings."""
    for key, value in document.items():
        name, container = TOP_LEVEL[key]
        if container == "one":
            yield key, name, value
        elif container == "list":
            for item in value:
                yield key, name, item
        else:
            for item in value.values():
                yield key, name, item


def first_error(name: str, value: Any) -> ValidationError | None:
    """The error dbbasic reports for a value: jsonschema's best match, as validate.py renders it."""
    return best_match(Draft202012Validator(load_schema(name)).iter_errors(value))


# ------------------------------------------------------------------------------------------ what is accepted


@pytest.mark.parametrize("file", DESIGN_EXAMPLES)
def test_design_examples_validate(file: str) -> None:
    document = yaml.safe_load(DESIGN_EXAMPLES[file])
    for key, name, value in values_by_kind(document):
        error = first_error(name, value)
        assert error is None, f"{file}: {key}: {error.message} at {list(error.absolute_path)}"


def test_loose_forms_are_strings_the_schema_accepts() -> None:
    # `users: < 1000` and `1000-10000` load as strings: the range pattern, not YAML, gives them meaning.
    tiers = yaml.safe_load(DESIGN_EXAMPLES["specs/scaling.yaml"])["scaling"]["automatic_tiers"]
    assert [tier["users"] for tier in tiers.values()] == ["< 1000", "1000-10000", "10000-100000", "> 100000"]


def test_unquoted_greater_than_is_not_yaml() -> None:
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load("scaling: {type: single_server, users: > 100000}")


# ------------------------------------------------------------------------------- where refusals point


def bad(case: str, schema: str, value: str, path: str, keyword: str) -> Any:
    """A refused value as an author writes it, where the error points, and the keyword that failed."""
    return pytest.param(schema, yaml.safe_load(value), path, keyword, id=case)


BAD_INPUTS = [
    bad("unknown key in a field", "data", "users: {fields: {email: {type: email, uniqe: true}}}",
        "$.users.fields.email", "additionalProperties"),
    bad("on_delete: explode", "data", "todos: {fields: {user_id: {ref: users, on_delete: explode}}}",
        "$.todos.fields.user_id.on_delete", "enum"),
    bad("field mapping without type or ref", "data", "users: {fields: {email: {unique: true}}}",
        "$.users.fields.email", "anyOf"),
    bad("field as a number", "data", "users: {fields: {id: 5}}", "$.users.fields.id", "type"),
    bad("table without fields", "data", "users: {indexes: [email]}", "$.users", "required"),
    bad("enum without values", "data", "users: {fields: {s: {type: enum, values: []}}}",
        "$.users.fields.s.values", "minItems"),
    bad("index mapping without columns", "data", "users: {fields: {id: id}, indexes: [{unique: true}]}",
        "$.users.indexes[0]", "required"),
    bad("tier range 'about 1000'", "scaling", "automatic_tiers: {startup: {users: about 1000, config: {}}}",
        "$.automatic_tiers.startup.users", "pattern"),
    bad("tier without a metric", "scaling", "automatic_tiers: {startup: {config: {servers: 1}}}",
        "$.automatic_tiers.startup", "minProperties"),
    bad("range as a number", "scaling", "{type: single_server, users: 1000}", "$.users", "type"),
    bad("partition set without by", "scaling", "partitioning: {todos: {active: {partitions: 16}}}",
        "$.partitioning.todos.active", "required"),
    bad("step with expect as a list", "migration", """
        task: t
        steps:
          - sql: SELECT 1
          - {batched: UPDATE t SET x = 1, table: t, key: id}
          - {check: SELECT 0, expect: [0]}
        """, "$.steps[2].expect", "type"),
    bad("misspelt step key", "migration", "{task: t, steps: [{sqll: SELECT 1}]}", "$.steps[0]",
        "additionalProperties"),
    bad("SQL for an unknown dialect", "migration", "{task: t, steps: [{sql: {mysql: SELECT 1}}]}",
        "$.steps[0].sql", "additionalProperties"),
    bad("batch_rows: 0", "migration", "{task: t, steps: [{batched: UPDATE t, batch_rows: 0}]}",
        "$.steps[0].batch_rows", "minimum"),
    bad("no steps", "migration", "{task: t, steps: []}", "$.steps", "minItems"),
    bad("migration without task", "migration", "{pattern: add_soft_delete}", "$", "required"),
    bad("plan id with spaces", "migration", "{task: t, id: Soft Delete}", "$.id", "pattern"),
    bad("move without to", "migration", "{task: t, move: {from: dev}}", "$.move", "required"),
    bad("structured rule with two names", "import", """
        source: {path: a.csv}
        target: {model: users}
        rules: [{normalize_phone: {field: phone}, skip_duplicates: {match: email}}]
        """, "$.rules[0]", "maxProperties"),
    bad("two-character delimiter", "import", "{source: {path: a.csv, delimiter: '; '}, target: {model: u}}",
        "$.source.delimiter", "maxLength"),
    bad("on_error: ignore", "import", "{source: {path: a.csv}, target: {model: users}, on_error: ignore}",
        "$.on_error", "enum"),
    bad("import without target", "import", "{source: {path: a.csv}}", "$", "required"),
    bad("unknown dialect", "project", "{dialect: mysql}", "$.dialect", "enum"),
    bad("target not a URL", "project", "targets: {dev: var/dev.db}", "$.targets.dev", "pattern"),
    bad("target mapping without url", "project", "targets: {prod: {dialect: postgres}}", "$.targets.prod",
        "required"),
    bad("dialect listed twice", "project", "dialects: [sqlite, sqlite]", "$.dialects", "uniqueItems"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value", "path", "keyword"), BAD_INPUTS)
def test_bad_input_fails_at_the_expected_path(name: str, value: Any, path: str, keyword: str) -> None:
    error = first_error(name, value)
    assert error is not None, "should be refused"
    assert (error.json_path, error.validator) == (path, keyword), error.message


def test_unknown_key_error_names_the_key() -> None:
    error = first_error("data", {"users": {"fields": {"email": {"type": "email", "uniqe": True}}}})
    assert error is not None and "'uniqe' was unexpected" in error.message


# ------------------------------------------------------------------------------ the schemas themselves


def subschemas(schema: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema inside a schema, with its JSON pointer (not the values of `examples` or `default`)."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for keyword in ("properties", "$defs"):
        for key, sub in schema.get(keyword, {}).items():
            yield from subschemas(sub, f"{pointer}/{keyword}/{key}")
    for keyword in ("items", "additionalProperties"):
        yield from subschemas(schema.get(keyword), f"{pointer}/{keyword}")
    for index, sub in enumerate(schema.get("anyOf", [])):
        yield from subschemas(sub, f"{pointer}/anyOf/{index}")


def test_top_level_keys_cover_every_schema() -> None:
    assert {name for name, _ in TOP_LEVEL.values()} == set(SCHEMA_NAMES)
    assert {container for _, container in TOP_LEVEL.values()} == {"one", "list", "map"}


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_property_is_documented_and_objects_are_closed(name: str) -> None:
    for pointer, schema in subschemas(load_schema(name)):
        for key, sub in schema.get("properties", {}).items():
            assert sub.get("description"), f"{name}.json{pointer}/properties/{key} has no description"
        if "properties" in schema:
            assert "additionalProperties" in schema, f"{name}.json{pointer} says nothing about other keys"


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_examples_and_defaults_in_the_schemas_are_valid(name: str) -> None:
    root = Draft202012Validator(load_schema(name))
    for pointer, schema in subschemas(load_schema(name)):
        validator = root.evolve(schema=schema)  # keeps the root, so `#/$defs/...` still resolves
        for example in schema.get("examples", []) + ([schema["default"]] if "default" in schema else []):
            error = best_match(validator.iter_errors(example))
            assert error is None, f"{name}.json{pointer}: {example!r}: {error.message}"


def test_unknown_schema_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown schema 'tables'"):
        load_schema("tables")


# ------------------------------------------------------------------------------------ export for editors


def test_export_writes_canonical_valid_schemas(tmp_path: Path) -> None:
    paths = export_schemas(tmp_path / "schemas")
    assert [p.name for p in paths] == sorted([f"{name}.json" for name in SCHEMA_NAMES] + ["spec.json"])
    for path in paths:
        text = path.read_text(encoding="utf-8")
        schema = json.loads(text)
        Draft202012Validator.check_schema(schema)
        assert text == json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        assert '"$id"' not in text, "an $id would make editors fetch the schema from the network"


def test_spec_file_schema_refers_to_the_kinds_by_relative_path() -> None:
    properties = spec_file_schema()["properties"]
    assert properties["migration"] == {"$ref": "migration.json"}
    assert properties["migrations"] == {"type": "array", "minItems": 1, "items": {"$ref": "migration.json"}}
    assert properties["one_time_tasks"] == {"type": "object", "additionalProperties": {"$ref": "import.json"}}


def exported_spec_validator(directory: Path) -> Draft202012Validator:
    """What an editor does with `$schema=./schemas/spec.json`: load it by file URI, resolve refs beside it."""
    paths = export_schemas(directory)
    registry: Registry[Any] = Registry().with_resources(
        (path.as_uri(), Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in paths
    )
    return Draft202012Validator({"$ref": (directory / "spec.json").as_uri()}, registry=registry)


@pytest.mark.parametrize("file", DESIGN_EXAMPLES)
def test_exported_spec_schema_validates_whole_design_files(tmp_path: Path, file: str) -> None:
    validator = exported_spec_validator(tmp_path / "schemas")
    error = best_match(validator.iter_errors(yaml.safe_load(DESIGN_EXAMPLES[file])))
    assert error is None, f"{file}: {error.message} at {list(error.absolute_path)}"


def test_exported_spec_schema_refuses_at_the_right_path(tmp_path: Path) -> None:
    validator = exported_spec_validator(tmp_path / "schemas")
    cases: list[tuple[str, str, str]] = [
        ("tables: {}", "$", "additionalProperties"),
        ("{}", "$", "minProperties"),
        ("migrations: [{task: t, steps: []}]", "$.migrations[0].steps", "minItems"),
        ("scaling: {users: about 1000}", "$.scaling.users", "pattern"),  # `#/$defs/range` in scaling.json
        ("one_time_tasks: {legacy: {source: {path: a.csv}}}", "$.one_time_tasks.legacy", "required"),
    ]
    for text, path, keyword in cases:
        error = best_match(validator.iter_errors(yaml.safe_load(text)))
        assert error is not None, text
        assert (error.json_path, error.validator) == (path, keyword), error.message


# ------------------------------------------------------------------------------------- generated reference


def test_reference_doc_is_up_to_date() -> None:
    committed = (repo_root() / REFERENCE_PATH).read_text(encoding="utf-8")
    assert committed == render_reference(), f"{REFERENCE_PATH} is stale; regenerate it with: {REGENERATE}"


def test_reference_documents_every_key_and_the_editor_line() -> None:
    text = render_reference()
    assert text == render_reference(), "rendering is deterministic"
    assert "generated" in text.split("\n## ")[0] and REGENERATE in text
    assert "dbbasic schema export schemas/" in text
    assert "# yaml-language-server: $schema=../schemas/spec.json" in text
    for key in TOP_LEVEL:
        assert f"## `{key}`" in text
    for name in SCHEMA_NAMES:
        for _, schema in subschemas(load_schema(name)):
            for prop in schema.get("properties", {}):
                assert f"| `{prop}`" in text, f"{name}: {prop} is not in the reference"
