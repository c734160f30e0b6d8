"""Org data files: the format operators import, its validation, and the shipped demo org."""

# Schedule days as the product stores them: 0 is Monday. Here (not in .schema) so reading an
# org's schedule does not load the file schema's pydantic models.
DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
