from lint_cases import ddl, findings

from dbbasic.plan.model import DdlStep

RULE = "destructive-statement"


def test_dropping_a_column_is_an_error_with_help() -> None:
    assert findings(RULE, ddl("ALTER TABLE users DROP COLUMN phone")) == [
        "error[destructive-statement] 1-sql: this step drops column phone of users: the data cannot be brought "
        "back. help: ship the code change that stops using it first; then set `allow_destructive: true` on the "
        "migration"]


def test_drop_table_truncate_and_delete_everything_are_caught() -> None:
    found = findings(RULE, ddl("DROP TABLE users", "TRUNCATE todos", "DELETE FROM todos"))
    assert sorted(f.split(":")[1].strip() for f in found) == [
        "this step deletes every row", "this step drops table users", "this step empties the table"]


def test_allow_destructive_makes_it_a_warning_that_stays_visible() -> None:
    [found] = findings(RULE, ddl("DROP TABLE users"), allow_destructive=True)
    assert found.startswith("warning[destructive-statement]")


def test_additive_changes_and_targeted_deletes_are_fine() -> None:
    assert findings(RULE, ddl("ALTER TABLE users ADD COLUMN nick text", "DELETE FROM todos WHERE id = 1",
                              "CREATE TABLE t (a int)")) == []


def _rebuild(*copied: str) -> DdlStep:
    """SQLite's rebuild of t(id, a, b) as sql/ddl.py writes it, reading `copied` from the old table."""
    new = 'CREATE TABLE "dbbasic_new_t" ("id" INTEGER NOT NULL, "a" TEXT NOT NULL, PRIMARY KEY ("id"))'
    old = 'CREATE TABLE "dbbasic_new_t" ("id" INTEGER NOT NULL, "a" TEXT, "b" INTEGER, PRIMARY KEY ("id"))'
    names = ", ".join(f'"{c}"' for c in copied)
    return DdlStep("1-rebuild-t", (new, f'INSERT INTO "dbbasic_new_t" ({names}) SELECT {names} FROM "t"',
                                   'DROP TABLE "t"', 'ALTER TABLE "dbbasic_new_t" RENAME TO "t"'),
                   (old, 'INSERT INTO "dbbasic_new_t" ("id", "a") SELECT "id", "a" FROM "t"', 'DROP TABLE "t"',
                    'ALTER TABLE "dbbasic_new_t" RENAME TO "t"'), rebuild=True)


def test_a_rebuild_that_copies_every_column_destroys_nothing() -> None:
    assert findings(RULE, _rebuild("id", "a", "b"), dialect="sqlite") == []


def test_a_rebuild_reports_the_columns_it_does_not_copy() -> None:
    [found] = findings(RULE, _rebuild("id", "a"), dialect="sqlite")
    assert "this step drops column b of t (the rebuild does not copy it)" in found


def test_a_column_swapped_in_by_a_rename_is_not_lost_but_a_plain_drop_is() -> None:
    swap = ddl('ALTER TABLE "t" DROP COLUMN "rank"', 'ALTER TABLE "t" RENAME COLUMN "dbbasic_rank_new" TO "rank"')
    assert findings(RULE, swap) == []
    other_table = ddl('ALTER TABLE "t" DROP COLUMN "rank"', 'ALTER TABLE "u" RENAME COLUMN "x" TO "rank"')
    assert len(findings(RULE, other_table)) == 1
