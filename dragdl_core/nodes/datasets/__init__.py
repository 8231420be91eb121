"""Datasets node types."""
