"""The next CLI command removes what a crashed save left under the app's home; --version and
--help (which exit while parsing) do not even look."""

from __future__ import annotations

import pytest

from drs_console.__main__ import main as entry_point
from drs_console.cli.main import EXIT_OK, main
from drs_console.store.paths import app_paths
from tests.store.temporaries import leave_crash_leftovers


def test_the_next_command_removes_stale_temporaries_of_ours_only(capsys):
    leftovers = leave_crash_leftovers(app_paths())
    assert main(["plan", "list"]) == EXIT_OK
    leftovers.assert_cleaned()


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["plan", "--help"]])
def test_version_and_help_touch_nothing(argv, capsys):
    leftovers = leave_crash_leftovers(app_paths())
    with pytest.raises(SystemExit):
        entry_point(argv)
    assert all(p.exists() for p in leftovers.stale)
