"""``python -m srlm``: the same as the ``srlm`` console script."""

import sys

from srlm.cli import main

if __name__ == "__main__":
    sys.exit(main())
