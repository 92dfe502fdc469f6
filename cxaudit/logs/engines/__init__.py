"""Engines that aggregate an event log where it lives: embedded DuckDB by default."""
