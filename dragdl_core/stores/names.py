"""Names that become one folder or file stem in a store (datasets, weights): letters, digits, '_', '.' and
'-', at most 64, not starting with a dot or a separator, no '..'."""
import re

FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def is_folder_name(name: str) -> bool:
    return isinstance(name, str) and bool(FOLDER_NAME.fullmatch(name)) and ".." not in name
