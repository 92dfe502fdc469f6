"""The journey file format: reading its YAML (more of the format moves here with issue 24's layout)."""
