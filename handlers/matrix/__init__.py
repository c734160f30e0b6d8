"""The question matrix: run every pending cell through its provider and evaluate the answer."""
