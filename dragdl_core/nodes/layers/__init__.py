"""Layers node types."""
