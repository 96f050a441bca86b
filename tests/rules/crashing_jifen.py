"""`jifen` with a defect injected, for the tests of the internal-error exit (test-only).

    python -m tests.rules.crashing_jifen score --jsonl FILE --workers 2

Scoring the profile whose application number is "boom" raises; every other profile scores
as usual. The patch is made before any worker process is forked, so the workers inherit it:
the production code has no hook for this.
"""

from __future__ import annotations

import sys

from jifen import cli
from jifen.rules import batch, scoring

CRASH_ON = "boom"


def _defective_score(profile):  # type: ignore[no-untyped-def]
    if profile.application_no == CRASH_ON:
        raise RuntimeError("injected defect")
    return scoring.score(profile)


def main() -> int:
    batch.score = _defective_score
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
