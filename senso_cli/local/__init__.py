"""senso's local Step Functions runtime: the real `asl/` document run against PostgreSQL."""
