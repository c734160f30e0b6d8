"""Services behind the CLI commands: they take settings and clients, and return data."""
