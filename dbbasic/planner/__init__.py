"""The LLM planner: free-text intent becomes checked plan steps.

`propose.py` runs it: the prompt (`prompts.py`, templates in `prompts/`), the model (`client.py`, any
OpenAI-compatible server), the guard (`guard.py`: every answer checked as strictly as a reviewer would), the
dry run on a scratch database with invented rows (`scratch.py`, `samples.py`), and the cache beside the plan
(`cache.py`). See docs/planner.md.
"""
