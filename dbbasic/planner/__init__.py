"""The LLM planner: free-text intent becomes checked plan steps.

Only the guard is built so far (`guard.py`: every answer a model gives passes it before it becomes a
step); the client, the prompts, the cache and the dry run are not.
"""
