"""Plain-text rules shared by the console and the CLI: units, truncation, escaping."""
