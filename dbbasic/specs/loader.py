"""Read spec files into plain Python values that remember where each value came from.

PyYAML's composer gives every node a position; we walk the node tree ourselves so that each value keeps
its file, line and column (by JSON path), duplicate keys are caught (PyYAML silently keeps the last one),
and YAML 1.1 surprises are switched off: `no`, `on` and `yes` stay strings and dates stay text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dbbasic.errors import Level, Problem

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Pos:
    line: int
    col: int


# libyaml's parser when PyYAML has it (several times faster); resolving and constructing stay in Python.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SpecLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2-like scalars: only true/false are booleans, timestamps stay strings."""


# YAML 1.2 core schema scalars instead of PyYAML's YAML 1.1 ones, where `no` is false, `10:30` is 630
# (base 60), `0400` is 256 (octal) and dates become date objects.
_YAML_1_1 = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int",
             "tag:yaml.org,2002:float")
_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _YAML_1_1]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
_SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)  # a leading zero is decimal in YAML 1.2, not octal


_SpecLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


@dataclass
class Document:
    """One spec file: its values, and the position of every value and key by JSON path."""

    file: str
    data: dict[str, Any]
    sha256: str
    positions: dict[JsonPath, Pos] = field(default_factory=dict)
    key_positions: dict[JsonPath, Pos] = field(default_factory=dict)

    def pos(self, path: JsonPath, *, key: bool = False) -> Pos:
        """Position of the value (or its key) at `path`, else of its nearest located ancestor."""
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, Pos(1, 1))

    def problem(
        self, path: JsonPath, code: str, message: str, hint: str = "", *, level: Level = "error", key: bool = False
    ) -> Problem:
        at = self.pos(path, key=key)
        return Problem(self.file, at.line, at.col, level, code, message, hint)


# `users: > 100000` is what authors write for a tier range, but `>` opens a folded block in YAML.
# Only `>` followed by a space, `=` or two digits is rewritten: `>2` alone is a valid block header.
_LOOSE_GT = re.compile(r"(:[ \t]+)(>(?:=[ \t]*\d|[ \t]+\d|\d\d)[\d_,]*)(?=[ \t]*(?:$|[,}\]]|#))")


def _quote_loose_ranges(text: str) -> tuple[str, dict[int, list[tuple[int, int]]], list[tuple[int, int, str]]]:
    """Quote `> N` values; return new text, per-line column shifts, and (line, col, value) of each rewrite."""
    lines = text.split("\n")
    shifts: dict[int, list[tuple[int, int]]] = {}
    found: list[tuple[int, int, str]] = []
    for number, line in enumerate(lines, start=1):
        offset = 0
        pieces: list[str] = []
        last = 0
        for match in _LOOSE_GT.finditer(line):
            start, end = match.span(2)
            value = match.group(2)
            pieces += [line[last:start], '"', value, '"']
            last = end
            found.append((number, start + 1, value))
            shifts.setdefault(number, []).extend([(start + offset, 1), (end + offset + 1, 1)])
            offset += 2
        if pieces:
            lines[number - 1] = "".join(pieces) + line[last:]
    return "\n".join(lines), shifts, found


class _Walker:
    def __init__(self, doc: Document, loader: _SpecLoader, shifts: dict[int, list[tuple[int, int]]]):
        self.doc = doc
        self.loader = loader
        self.shifts = shifts
        self.problems: list[Problem] = []

    def at(self, mark: Any) -> Pos:
        line, col = mark.line + 1, mark.column
        col -= sum(delta for start, delta in self.shifts.get(line, []) if start < col)
        return Pos(line, col + 1)

    def value(self, node: yaml.Node, path: JsonPath) -> Any:
        self.doc.positions[path] = self.at(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)

    def mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Pos] = {}
        for key_node, value_node in node.value:
            key_pos = self.at(key_node.start_mark)
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(self._problem(key_pos, "yaml-merge-key", "merge keys (`<<`) are not supported",
                                                   "write the keys out; specs are short enough to read without them"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(self._problem(key_pos, "yaml-key", "a key must be a plain name",
                                                   "use a simple word as the key"))
                continue
            key = str(self.loader.construct_object(key_node))
            if key in first_seen:
                before = first_seen[key]
                self.problems.append(self._problem(
                    key_pos, "duplicate-key",
                    f"duplicate key '{key}' (first defined at {self.doc.file}:{before.line}:{before.col})",
                    "YAML keeps only the last one; merge the two entries or rename one"))
                continue
            first_seen[key] = key_pos
            self.doc.key_positions[path + (key,)] = key_pos
            result[key] = self.value(value_node, path + (key,))
        return result

    def _problem(self, pos: Pos, code: str, message: str, hint: str) -> Problem:
        return Problem(self.doc.file, pos.line, pos.col, "error", code, message, hint)


def load_text(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    """Parse one spec file's text; return the document (None when unusable) and every problem found."""
    try:
        return _load_text(text, file)
    except RecursionError:
        return None, [Problem(file, 1, 1, "error", "yaml-depth", "the file nests too deeply to be a spec",
                              "specs are a few levels deep; look for a runaway `[` or `{`")]


def _load_text(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    # The digest ignores line endings, so a checkout with CRLF (Windows autocrlf) compiles to the same plans.
    digest = hashlib.sha256(text.replace("\r\n", "\n").encode()).hexdigest()
    doc = Document(file=file, data={}, sha256=digest)
    problems: list[Problem] = []
    shifts: dict[int, list[tuple[int, int]]] = {}
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as first_error:
        fixed, shifts, rewrites = _quote_loose_ranges(text)
        try:
            node = _compose(fixed) if rewrites else None
        except yaml.MarkedYAMLError:
            node = None
        if node is None:
            return None, [_yaml_problem(file, first_error)]
        problems += [
            Problem(file, line, col, "warning", "loose-range",
                    f"read `{value}` as the comparison it means; YAML reads a bare `>` as a folded block",
                    f'write it quoted to be portable: "{value}"')
            for line, col, value in rewrites
        ]
    if node is None:
        return None, [Problem(file, 1, 1, "error", "empty-file", "the spec file is empty",
                              "add a top-level key (project, data, migration, ...) or delete the file")]
    if not isinstance(node, yaml.MappingNode):
        pos = node.start_mark
        return None, [Problem(file, pos.line + 1, pos.column + 1, "error", "not-a-mapping",
                              "a spec file must be a mapping of top-level keys",
                              "start with a key such as `data:` or `migration:`")]
    walker = _Walker(doc, _SpecLoader(""), shifts)
    try:
        doc.data = walker.mapping(node, ())
    except yaml.MarkedYAMLError as exc:  # e.g. a tag such as !!python/object: specs are plain data
        return None, [*problems, _yaml_problem(file, exc)]
    doc.positions[()] = Pos(1, 1)
    problems += walker.problems
    return (None if any(p.level == "error" for p in problems) else doc), problems


def load_file(path: Path, root: Path) -> tuple[Document | None, list[Problem]]:
    """Read and parse one spec file; binary and non-UTF-8 files are reported, never raised."""
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    raw = path.read_bytes()
    if b"\x00" in raw:
        return None, [Problem(rel, 1, 1, "error", "binary-file", "this is a binary file, not YAML",
                              "move it out of specs/ (sample data belongs in specs/data/ with another extension)")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Problem(rel, line, col, "error", "encoding", "the file is not valid UTF-8",
                              "save the spec as UTF-8")]
    return load_text(text, rel)


def _compose(text: str) -> yaml.Node | None:
    loader = _SpecLoader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def _yaml_problem(file: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if isinstance(error, yaml.constructor.ConstructorError):
        return Problem(file, line, col, "error", "yaml-tag", f"{error.problem}".strip(),
                       "specs are plain data: remove the `!` tag")
    if "nesting depth" in (error.problem or ""):  # PyYAML >= 6.0.3 stops runaway nesting itself
        return Problem(file, line, col, "error", "yaml-depth", "the file nests too deeply to be a spec",
                       "specs are a few levels deep; look for a runaway `[` or `{`")
    what = error.problem or "malformed YAML"
    if error.context:
        what = f"{error.context}: {what}" if "while" not in error.context else f"{what} ({error.context})"
    return Problem(file, line, col, "error", "yaml-syntax", what.strip(),
                   "check indentation and quoting here; quote values that start with `>`, `|`, `@`, `*` or `&`")
