"""`python -m senso_cli` is the same as `senso`."""

from senso_cli.app import main

main()
