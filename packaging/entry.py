"""PyInstaller's entry script for the frozen DRS Console: the same `main` as `drs-console`."""

import sys

from drs_console.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
