"""One-off imports from messy exports: the source read as it comes (`source`, with one module per format and
`headers` for column names), the rules that clean each record (`rules/`), the cast to the field types (`cast`),
one record through all of them (`pipeline`), what a worker process runs (`worker`) and a file's digest
(`digest`).

Imports only `dbbasic.transforms`, `dbbasic.specs.model` and libraries, so the generators, the runner and the
API may all use it. See docs/imports.md.
"""
