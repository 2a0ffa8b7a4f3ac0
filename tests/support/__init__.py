"""Helpers of the tests: clients, factories, processes, waits (no tests and no fixtures here)."""
