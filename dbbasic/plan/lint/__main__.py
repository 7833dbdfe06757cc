"""Print docs/lint-rules.md: python -m dbbasic.plan.lint > docs/lint-rules.md"""

from dbbasic.plan.lint import render_docs

print(render_docs(), end="")
