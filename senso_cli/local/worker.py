"""`python -m senso_cli.local.worker ARN`: run one started local execution to its end.

`senso trigger --no-wait` starts executions here, in a process of their own, so several run at
once and the operator's shell returns immediately.
"""

from __future__ import annotations

import sys

from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.database import open_database
from senso_cli.settings import load_settings


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m senso_cli.local.worker EXECUTION_ARN", file=sys.stderr)  # noqa: T201
        return 2
    settings = load_settings().settings
    runtime = LocalRuntime(open_database(settings), settings)
    result = runtime.run(argv[0])
    return 0 if result.status == "SUCCEEDED" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
