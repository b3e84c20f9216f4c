"""Statistics, charts and the report: pure functions of the tables."""
