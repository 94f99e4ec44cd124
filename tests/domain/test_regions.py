from pathlib import Path

import drs_console.domain.regions as regions
from drs_console.aws.regions import module_text


def test_the_region_constant_matches_botocores_drs_regions():
    assert Path(regions.__file__).read_text() == module_text(), (
        "botocore's DRS regions changed: python -m drs_console.aws.regions > drs_console/domain/regions.py"
    )
    assert "us-east-1" in regions.DRS_REGIONS and "us-gov-west-1" in regions.DRS_REGIONS
