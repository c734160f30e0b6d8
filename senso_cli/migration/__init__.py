"""The phased migration off Inngest: which orchestrator runs an org, and the rollout state."""
