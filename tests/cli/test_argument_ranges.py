"""Numbers out of range are usage errors (exit 2) that say the allowed range, never a traceback."""

from __future__ import annotations

import pytest

from drs_console.cli.main import build_parser


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["history", "list", "--since", "99999999999w"], "at most 36500 days"),
        (["history", "list", "--since", "5000000d"], "at most 36500 days"),
        (["history", "list", "--until", "99999999999w"], "at most 36500 days"),
        (["history", "prune", "--older-than", "nan"], "0 to 36500 days"),
        (["history", "prune", "--older-than", "inf"], "0 to 36500 days"),
        (["history", "prune", "--older-than", "1e12"], "0 to 36500 days"),
        (["history", "prune", "--older-than", "-3"], "0 to 36500 days"),
        (["history", "prune", "--older-than", "soon"], "not a number"),
        (["status", "x", "--refresh", "nan"], "0 to 3600 seconds"),
        (["cancel", "x", "--grace", "inf"], "0 to 86400 seconds"),
        (["doctor", "--probe-timeout", "1e400"], "1 to 3600 seconds"),
    ],
)
def test_out_of_range_numbers_exit_2_with_the_range(capsys, argv, needle):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err, err


def test_numbers_in_range_pass():
    args = build_parser().parse_args(["history", "prune", "--older-than", "30"])
    assert args.older_than == 30.0
    assert build_parser().parse_args(["history", "list", "--since", "2w"]).since == "2w"
