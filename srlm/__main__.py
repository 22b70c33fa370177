"""``python -m srlm``: the same as the ``srlm`` console script."""

import sys

from srlm.cli import main

sys.exit(main())
