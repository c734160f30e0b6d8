"""Org data files: the format operators import, its validation, and the shipped demo org."""
