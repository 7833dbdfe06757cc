"""Loading spec files: positions, duplicate keys, loose tier ranges, and files that are not YAML."""

from __future__ import annotations

from pathlib import Path

from dbbasic.specs.loader import Pos, load_file, load_text


def test_every_value_and_key_keeps_its_line_and_column() -> None:
    doc, problems = load_text("data:\n  users:\n    fields:\n      email: {type: email, unique: true}\n", "d.yaml")
    assert problems == [] and doc is not None
    assert doc.pos(("data", "users", "fields", "email", "unique")) == Pos(4, 36)
    assert doc.pos(("data", "users"), key=True) == Pos(2, 3)
    # A path that does not exist is located at its nearest ancestor.
    assert doc.pos(("data", "users", "fields", "nope")) == Pos(4, 7)


def test_a_duplicate_key_is_an_error_naming_both_positions() -> None:
    doc, problems = load_text("data:\n  users:\n    fields: {id: id}\n  users:\n    fields: {id: id}\n", "d.yaml")
    assert doc is None
    [problem] = problems
    assert problem.render().startswith("d.yaml:4:3: error[duplicate-key]: duplicate key 'users' (first defined at "
                                       "d.yaml:2:3)")


def test_yaml_1_1_surprises_are_switched_off() -> None:
    doc, _ = load_text("values: [yes, no, on, off, NO]\nwhen: 2020-01-02\nflag: true\n", "v.yaml")
    assert doc is not None
    assert doc.data == {"values": ["yes", "no", "on", "off", "NO"], "when": "2020-01-02", "flag": True}


def test_a_bare_greater_than_range_is_read_as_the_comparison_with_a_warning() -> None:
    text = "scaling:\n  automatic_tiers:\n    enterprise: {users: > 100000, config: {cache: global_edge}}\n"
    doc, problems = load_text(text, "s.yaml")
    assert doc is not None
    assert doc.data["scaling"]["automatic_tiers"]["enterprise"]["users"] == "> 100000"
    [warning] = problems
    assert warning.level == "warning" and warning.code == "loose-range"
    assert (warning.line, warning.col) == (3, 25)
    assert 'write it quoted to be portable: "> 100000"' in warning.render()
    # Columns after the rewritten value still point at the author's text.
    assert doc.pos(("scaling", "automatic_tiers", "enterprise", "config"), key=True) == Pos(3, 35)


def test_block_style_range_and_a_real_folded_block_both_work() -> None:
    doc, problems = load_text("tier:\n  users: > 100000\nnote: >\n  folded\n  text\n", "s.yaml")
    assert doc is not None and doc.data == {"tier": {"users": "> 100000"}, "note": "folded text\n"}
    assert [p.code for p in problems] == ["loose-range"]


def test_malformed_yaml_is_one_located_error() -> None:
    doc, [problem] = load_text("data:\n  users:\n    fields: [id\n", "bad.yaml")
    assert doc is None
    assert problem.code == "yaml-syntax" and problem.file == "bad.yaml" and problem.line >= 3


def test_empty_binary_and_non_utf8_files_get_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing here\n")
    (tmp_path / "blob.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "latin.yaml").write_bytes("data:\n  caf\xe9: {}\n".encode("latin-1"))
    codes = {}
    for name in ("empty.yaml", "blob.yaml", "latin.yaml"):
        doc, [problem] = load_file(tmp_path / name, tmp_path)
        assert doc is None and problem.level == "error"
        codes[name] = (problem.code, problem.line)
    assert codes == {"empty.yaml": ("empty-file", 1), "blob.yaml": ("binary-file", 1), "latin.yaml": ("encoding", 2)}


def test_a_file_must_be_a_mapping_of_sections() -> None:
    doc, [problem] = load_text("- just\n- a list\n", "l.yaml")
    assert doc is None and problem.code == "not-a-mapping"


def test_scalars_follow_yaml_1_2() -> None:
    doc, _ = load_text("a: 10:30\nb: 0400\nc: 0x1f\nd: 1_000\ne: .inf\n", "v.yaml")
    assert doc is not None
    assert doc.data == {"a": "10:30", "b": 400, "c": 31, "d": "1_000", "e": float("inf")}


def test_tags_and_runaway_nesting_are_located_errors() -> None:
    _, [tag] = load_text("a: !!python/object:os.system ls\n", "t.yaml")
    assert (tag.code, tag.line, tag.col) == ("yaml-tag", 1, 4)
    _, [deep] = load_text("a: " + "[" * 5000 + "]" * 5000 + "\n", "d.yaml")
    assert deep.code == "yaml-depth"


def test_line_endings_do_not_change_the_digest() -> None:
    unix, _ = load_text("data:\n  t: {fields: {id: id}}\n", "u.yaml")
    windows, _ = load_text("data:\r\n  t: {fields: {id: id}}\r\n", "u.yaml")
    assert unix is not None and windows is not None and unix.sha256 == windows.sha256
