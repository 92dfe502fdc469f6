"""``python -m cxaudit``."""

from cxaudit.cli import entry

if __name__ == "__main__":
    entry()
