"""The senso operator CLI: deploy, drive and migrate the org evaluation workflow."""
