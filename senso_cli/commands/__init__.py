"""One module per command group; each parses, calls a service and renders."""
