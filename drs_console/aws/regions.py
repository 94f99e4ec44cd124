"""Writes ``drs_console/domain/regions.py`` from botocore's endpoint data (build-time helper).

    python -m drs_console.aws.regions > drs_console/domain/regions.py
"""

from __future__ import annotations

import sys

from .session import drs_regions

HEADER = '''"""The regions where Elastic Disaster Recovery is offered (pure Python: no botocore here).

Generated from botocore's endpoint data (every partition) by ``drs_console.aws.regions``;
regenerate it with ``python -m drs_console.aws.regions > drs_console/domain/regions.py`` after a
botocore update. At run time the aws layer adds the installed botocore's regions (domain.validation.known_regions).
"""

from __future__ import annotations

DRS_REGIONS: frozenset[str] = frozenset(
    {
'''


def module_text() -> str:
    body = "".join(f'        "{region}",\n' for region in drs_regions())
    return HEADER + body + "    }\n)\n"


if __name__ == "__main__":
    sys.stdout.write(module_text())
