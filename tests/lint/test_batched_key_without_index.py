from lint_cases import batched, findings, online

RULE = "batched-key-without-index"
USERS = [("users", "id"), ("users", "email")]


def test_a_key_without_an_index_is_a_full_scan_per_batch() -> None:
    assert findings(RULE, batched("users", "created_at"), indexed=USERS) == [
        "warning[batched-key-without-index] 2-batched: `users.created_at` has no index: every batch reads the whole "
        "table to find its key range. help: batch by the primary key, or index `created_at` first with CREATE INDEX "
        "CONCURRENTLY in a step with `transactional: false`"]


def test_an_indexed_key_is_fine() -> None:
    assert findings(RULE, batched("users", "id"), indexed=USERS) == []


def test_an_index_the_plan_builds_first_counts() -> None:
    assert findings(RULE, online("CREATE INDEX CONCURRENTLY users_created_at_idx ON users (created_at)"),
                    batched("users", "created_at"), indexed=USERS) == []


def test_unknown_is_not_unindexed() -> None:
    assert findings(RULE, batched("users", "created_at")) == []
    assert findings(RULE, batched("todos", "created_at"), indexed=USERS) == []
    assert findings(RULE, online("CREATE INDEX CONCURRENTLY i ON todos (id)"), batched("todos", "created_at")) == []


def test_on_sqlite_too() -> None:
    assert len(findings(RULE, batched("users", "created_at"), indexed=USERS, dialect="sqlite")) == 1
