"""Where DRS is offered: the generated list, extended at run time by the installed botocore, so a
region launched after the build never reads as invalid (CI installs the newest botocore)."""

from drs_console.aws.session import drs_regions
from drs_console.domain import regions, validation
from drs_console.domain.plan import Plan
from drs_console.domain.validation import Code, known_regions, set_region_source, validate


def _region_problems(region: str) -> list:
    plan = Plan.new("Regions", target_account_id="123456789012", target_region=region)
    return [p for p in validate(plan) if p.code is Code.TARGET_REGION_INVALID]


def test_every_region_the_installed_botocore_knows_for_drs_is_valid():
    known = drs_regions()  # importing aws.session registered botocore as the region source
    assert "us-east-1" in regions.DRS_REGIONS and "us-gov-west-1" in regions.DRS_REGIONS
    assert set(known) <= known_regions()
    assert all(not _region_problems(r) for r in known)


def test_a_region_newer_than_the_generated_list_is_valid_and_a_made_up_one_is_not():
    saved = validation._region_source
    try:
        set_region_source(lambda: ["xx-newregion-1"])
        assert "xx-newregion-1" not in regions.DRS_REGIONS
        assert not _region_problems("xx-newregion-1")
        assert _region_problems("mars-1")
        set_region_source(None)
        assert _region_problems("xx-newregion-1")  # without a source, only the generated list
    finally:
        set_region_source(saved)
