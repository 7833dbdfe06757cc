from pathlib import Path

from dbbasic.plan.lint import RULES, render_docs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lint-rules.md"


def test_the_lint_docs_are_generated_from_the_rules() -> None:
    assert DOCS.read_text() == render_docs(), "run: python -m dbbasic.plan.lint > docs/lint-rules.md"


def test_every_rule_has_a_code_a_level_a_problem_and_a_solution() -> None:
    for rule in RULES:
        assert rule.__name__.rsplit(".", 1)[1].replace("_", "-") == rule.CODE
        assert rule.LEVEL in ("error", "warning")
        assert "Problem:" in (rule.__doc__ or "") and "Solution:" in (rule.__doc__ or "")
