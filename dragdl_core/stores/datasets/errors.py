"""The one error the dataset store raises for a user's mistake or a refused archive."""
from __future__ import annotations


class DatasetError(ValueError):
    """A dataset that cannot be imported, found or changed: one clear message, plus the import report so far
    (skipped files by name) when an import got that far, so the user sees why it fell short."""

    def __init__(self, message: str, report: dict | None = None):
        super().__init__(message)
        self.message = message
        self.report = report
