"""The pattern registry: every pattern has the module interface and a docs section; an unknown pattern is a
located error that lists the known ones."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from conftest import REPO
from pattern_cases import MIGRATION_FILE, project, spec_error

from dbbasic.generators.patterns import PATTERNS

DATA = """
    data:
      todos:
        fields:
          id: id
          title: text
    """
MIGRATION = """
migration:
  task: "Add soft delete to todos"
  pattern: add_soft_delete
  model: todos
"""


def test_every_pattern_module_has_the_registry_interface_and_a_docs_section() -> None:
    names = [p.NAME for p in PATTERNS]
    assert {"add_soft_delete", "split_name_field", "normalize_phones"} <= set(names)
    assert names == sorted(names), "keep the registry in alphabetical order"
    docs = (REPO / "docs" / "patterns.md").read_text(encoding="utf-8")
    for pattern in PATTERNS:
        assert pattern.__name__ == f"dbbasic.generators.patterns.{pattern.NAME}"
        assert isinstance(pattern.VERSION, int) and callable(pattern.build) and pattern.USAGE
        summary, _, rest = (pattern.__doc__ or "").partition("\n")
        assert summary.strip() and summary.endswith(".") and f"pattern: {pattern.NAME}" in rest
        assert f"## `{pattern.NAME}`" in docs


def test_an_unknown_pattern_is_a_located_error_listing_the_known_ones(tmp_path: Path) -> None:
    case = project(tmp_path, DATA, MIGRATION)
    migration = dataclasses.replace(case.migration, options={**case.migration.options, "pattern": "add_soft_delet"})
    problem = spec_error(migration, case.specs.data)
    assert (problem.file, problem.line, problem.level, problem.code) == (MIGRATION_FILE, 2, "error",
                                                                          "unknown-pattern")
    assert problem.message == "migration 'migrations/pattern': there is no pattern named 'add_soft_delet'"
    known = ", ".join(sorted(p.NAME for p in PATTERNS))
    assert problem.hint == f"did you mean 'add_soft_delete'? known patterns: {known}; docs/patterns.md describes each"
    problem = spec_error(dataclasses.replace(migration, options={"pattern": "shard"}), case.specs.data)
    assert problem.hint == f"known patterns: {known}; docs/patterns.md describes each"
