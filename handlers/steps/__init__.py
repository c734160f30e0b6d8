"""The workflow's steps, one module each, registered by name in `handlers.steps.base`."""
