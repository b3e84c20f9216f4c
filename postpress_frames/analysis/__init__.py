"""Statistics, charts and the report: pure functions of the tables.

Public: :mod:`.stats` (per-sender statistics), :mod:`.charts` (Altair charts),
:mod:`.report` (one offline HTML page) and :mod:`.export` (statistics as Parquet, CSV or
JSON files: ``write_stats``, ``export_ready``, public through :mod:`.stats`).
Package-internal, one home per rule:
:mod:`.inputs` (checking and preparing the tables and arguments), :mod:`.metrics` (each
metric's dtype and definition), :mod:`.sequence` (turns, conversations, responses) and
:mod:`.display` (weekday names, durations and sender labels as people read them).
"""
