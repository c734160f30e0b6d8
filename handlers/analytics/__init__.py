"""Batch aggregates: visibility, share of voice, rank, citations, sentiment, competitors."""
