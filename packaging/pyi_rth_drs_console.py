"""PyInstaller runtime hook: runs in the frozen app before drs_console is imported.

A windowed Windows executable starts with sys.stdout/sys.stderr set to None; printing (argparse,
--version, logging to stderr) would then raise. Point them at os.devnull there: the console
executable drs-console-cli.exe is the one for terminal use.
"""

import os
import sys

if sys.stdout is None:
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
