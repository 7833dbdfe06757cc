"""Deterministic generators: each turns one kind of spec into plans, one plan per dialect."""
