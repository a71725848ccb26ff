"""`python -m dxaparse …`: the same as the `dxaparse` command."""

import sys

from .cli import main

sys.exit(main())
