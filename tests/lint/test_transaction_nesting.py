from lint_cases import ddl, findings, online

from dbbasic.plan.model import CheckStep

RULE = "transaction-nesting"
HELP = "help: remove it; split the work into steps, or mark the step `transactional: false`"


def test_commit_inside_a_step_is_an_error() -> None:
    assert findings(RULE, ddl("UPDATE users SET a = 1", "COMMIT")) == [
        "error[transaction-nesting] 1-sql: `COMMIT` controls a transaction inside a step: the runner owns the step's "
        "transaction, so part of the step would commit or roll back apart from its history row. " + HELP]


def test_every_transaction_statement_in_every_kind_of_step_and_on_sqlite() -> None:
    assert len(findings(RULE, ddl("BEGIN", "SAVEPOINT a", "ROLLBACK TO SAVEPOINT a", "RELEASE SAVEPOINT a",
                                  "END"))) == 5
    assert len(findings(RULE, online("START TRANSACTION", "ABORT"))) == 2
    assert len(findings(RULE, CheckStep("1-check", "begin", 1), dialect="sqlite")) == 1


def test_blocks_that_begin_and_end_inside_a_statement_are_fine() -> None:
    assert findings(RULE, ddl("CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; END",
                              "DO $$ BEGIN PERFORM 1; END $$", "UPDATE t SET a = 1"), dialect="sqlite") == []
