"""The data model as plain JSON: the snapshot each model plan records in `generated/<plan-id>/model.json`.

The next change of `data:` is compiled as the difference from the last snapshot. A snapshot also keeps
what compiled its own plan (descriptions, the renames and drops of that change), so the plan can be
compiled again from it; `shape()` is what decides whether the model changed.
"""

from __future__ import annotations

from typing import Any

from dbbasic.specs.model import DataModel, Field, FieldType, Index, IndexColumn, Source, Table

_NOT_SHAPE = ("description", "renamed_from", "dropped_fields", "lint_ignore")


def model_to_json(model: DataModel) -> dict[str, Any]:
    return {"tables": [_table(t) for t in model.tables], "dropped_tables": list(model.dropped_tables)}


def shape(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The part of a snapshot that DDL depends on: two models with the same shape need no plan between them."""
    return {"tables": [{k: ([{n: v for n, v in f.items() if n not in _NOT_SHAPE} for f in t["fields"]]
                            if k == "fields" else v) for k, v in t.items() if k not in _NOT_SHAPE}
                       for t in snapshot["tables"]]}


def _table(table: Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "description": table.description,
        "renamed_from": table.renamed_from,
        "fields": [_field(f) for f in table.fields],
        "dropped_fields": list(table.dropped_fields),
        "lint_ignore": dict(table.lint_ignore),
        "primary_key": list(table.primary_key),
        "unique": [list(group) for group in table.unique],
        "indexes": [{"columns": [[c.name, c.descending] for c in i.columns], "unique": i.unique, "name": i.name,
                     "where": i.where} for i in table.indexes],
    }


def _field(field: Field) -> dict[str, Any]:
    return {"name": field.name, "type": field.type.name, "args": list(field.type.args), "required": field.required,
            "unique": field.unique, "index": field.index, "default": field.default, "values": list(field.values),
            "ref": field.ref, "on_delete": field.on_delete, "description": field.description,
            "renamed_from": field.renamed_from}


def model_from_json(data: dict[str, Any], source: Source | None = None) -> DataModel:
    tables = []
    for t in data["tables"]:
        fields = tuple(Field(f["name"], FieldType(f["type"], tuple(f["args"])), f["required"], f["unique"],
                             f["index"], f["default"], tuple(f["values"]), f["ref"], f["on_delete"],
                             f.get("description", ""), f.get("renamed_from")) for f in t["fields"])
        indexes = tuple(Index(tuple(IndexColumn(c, d) for c, d in i["columns"]), i["unique"], i["name"], i["where"])
                        for i in t["indexes"])
        tables.append(Table(t["name"], fields, tuple(t["primary_key"]), tuple(tuple(g) for g in t["unique"]),
                            indexes, t.get("description", ""), t.get("renamed_from"),
                            tuple(t.get("dropped_fields", ())), lint_ignore=dict(t.get("lint_ignore", {}))))
    return DataModel(tuple(tables), source, tuple(data.get("dropped_tables", ())))
