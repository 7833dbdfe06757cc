"""The JSON Schemas (Draft 2020-12) of the spec language, and their export for editors.

One schema per kind of spec value lives in `schemas/<name>.json`. Each validates the value found under a
top-level key of a spec file; `TOP_LEVEL` says which key holds which kind and in what container. The schemas
are the single description of the language: validation, editor completion (yaml-language-server) and the
generated reference (`reference.py`) all read them, so they cannot drift apart.

Discriminated objects (migration kinds, step kinds, the two scaling forms) are single objects declaring every
possible key, not `oneOf` branches: jsonschema's `best_match` then points at the key that is wrong instead of
at a whole branch, and `validate.py` checks "exactly one kind" itself with a better message.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any, Final

DRAFT_2020_12: Final = "https://json-schema.org/draft/2020-12/schema"

SCHEMA_NAMES: tuple[str, ...] = ("project", "data", "migration", "common_migration", "import", "scaling")

# top-level YAML key -> (schema name, container): "one" is the value itself, "list" a list of such values,
# "map" a mapping name -> such value.
TOP_LEVEL: dict[str, tuple[str, str]] = {
    "project": ("project", "one"),
    "data": ("data", "one"),
    "migration": ("migration", "one"),
    "migrations": ("migration", "list"),
    "common_migrations": ("common_migration", "map"),
    "import": ("import", "one"),
    "one_time_tasks": ("import", "map"),
    "scaling": ("scaling", "one"),
}

SPEC_FILE_NAME: Final = "spec.json"


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema of one kind, read from the package so it works from a wheel; cached, so do not mutate it."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    text = (resources.files("dbbasic.specs") / "schemas" / f"{name}.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def spec_file_schema() -> dict[str, Any]:
    """The schema of a whole spec file, for editors.

    It refers to the kind schemas by relative file name (no `$id`, no network host), so an exported directory
    works offline wherever it is: `# yaml-language-server: $schema=./schemas/spec.json`.
    """
    properties: dict[str, Any] = {}
    for key, (name, container) in TOP_LEVEL.items():
        ref = {"$ref": f"{name}.json"}
        if container == "one":
            properties[key] = ref
        elif container == "list":
            properties[key] = {"type": "array", "minItems": 1, "items": ref}
        elif container == "map":
            properties[key] = {"type": "object", "additionalProperties": ref}
        else:  # pragma: no cover - TOP_LEVEL is a constant
            raise ValueError(f"unknown container {container!r} for top-level key {key!r}")
    return {
        "$schema": DRAFT_2020_12,
        "title": "dbbasic spec file",
        "description": "A dbbasic spec file (specs/*.yaml): one or more of these top-level keys.",
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": properties,
    }


def canonical_json(value: Any) -> str:
    """Sorted keys, 2-space indent, trailing newline: exported files diff cleanly and never churn."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def export_schemas(directory: Path) -> list[Path]:
    """Write the kind schemas and `spec.json` into `directory` (made if missing); return the paths, sorted."""
    directory.mkdir(parents=True, exist_ok=True)
    documents: dict[str, dict[str, Any]] = {f"{name}.json": load_schema(name) for name in SCHEMA_NAMES}
    documents[SPEC_FILE_NAME] = spec_file_schema()
    written: list[Path] = []
    for file_name, document in documents.items():
        path = directory / file_name
        path.write_text(canonical_json(document), encoding="utf-8", newline="\n")
        written.append(path)
    return sorted(written)
