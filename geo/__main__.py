"""``python -m geo``: see :mod:`geo.cli.parser`."""

import sys

from geo.cli.parser import main

if __name__ == "__main__":
    sys.exit(main())
