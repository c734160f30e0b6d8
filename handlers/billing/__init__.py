"""Credits: who pays, what a cell costs, and the ledger that charges each cell exactly once."""
