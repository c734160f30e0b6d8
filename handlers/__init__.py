"""The org evaluation workflow: domain models, database, providers, evaluation, billing and steps.

This package is what the step-handler container runs (`python -m handlers STEP`). It never
imports Typer, Rich or pandas so the image stays lean; the operator CLI lives in `senso_cli`.
"""

__version__ = "0.1.0"
