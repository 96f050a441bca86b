"""Small-group suppression (小样本隐去) for ad-hoc statistics: pure, no Django.

Primary: a cell (or subtotal, or the grand total) counting fewer than the minimum is hidden.
Secondary (complementary): a shown total is the sum of its parts, so if exactly one part of a
shown total is hidden, it could be found by subtraction; then the smallest other shown part is
hidden too (or, when there is none, the total itself). This is repeated until no shown total
has exactly one hidden part. See docs/statistics.md.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence


def suppress(
    counts: Mapping[Hashable, int],
    constraints: Sequence[tuple[Hashable, Sequence[Hashable]]],
    minimum: int,
) -> set[Hashable]:
    """The keys to hide. ``counts`` holds every cell and total by key; each constraint is
    ``(total key, part keys)`` with the total equal to the sum of the parts."""
    hidden = {k for k, n in counts.items() if 0 < n < minimum}
    changed = True
    while changed:
        changed = False
        for total, parts in constraints:
            if total in hidden:
                continue
            missing = [p for p in parts if p in hidden]
            if len(missing) != 1:
                continue
            shown = [p for p in parts if p not in hidden and counts[p] > 0]
            if shown:
                # The smallest: the least information lost.
                hidden.add(min(shown, key=lambda p: (counts[p], str(p))))
            else:
                hidden.add(total)
            changed = True
    return hidden
