"""Model node types."""
