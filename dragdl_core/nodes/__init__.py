"""Built-in node types, one per file; each registers itself when imported (see registry.register)."""
