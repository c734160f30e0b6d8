"""Unit tests of the evaluation of one answer."""
