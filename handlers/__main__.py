"""Container entry point: `python -m handlers STEP` (see handlers.contract)."""

import sys

from handlers.contract import main

sys.exit(main())
