"""Synthetic resident identity numbers (GB 11643-1999), built by hand for speed.

The check digit is the engine's (jifen.rules.identity); this module only makes numbers fast.
Layout: 6-digit area code, 8-digit birth date, 3-digit sequence whose last digit is odd for
men and even for women, then the check digit (ISO 7064 MOD 11-2).
"""

from __future__ import annotations

import tomllib
from bisect import bisect
from dataclasses import dataclass
from importlib import resources
from random import Random

from jifen.rules.identity import CHECK_CHARS, WEIGHTS


def _partial(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights, strict=True))


@dataclass(frozen=True)
class AreaCodes:
    """Area codes with province weights, flattened for O(log n) weighted draws."""

    codes: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def load(cls) -> AreaCodes:
        text = resources.files(__package__).joinpath("areas.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        codes: list[str] = []
        cumulative: list[float] = []
        total = 0.0
        for province in data["province"]:
            share = float(province["weight"]) / len(province["codes"])
            for code in province["codes"]:
                total += share
                codes.append(f"{int(code):06d}")
                cumulative.append(total)
        return cls(tuple(codes), tuple(c / total for c in cumulative))

    def draw(self, rng: Random) -> str:
        return self.codes[bisect(self.cumulative, rng.random())]


class IdentityFactory:
    """Builds identity numbers from precomputed partial weighted sums (no per-digit loop).

    Numbers are distinct within one factory (one ``jifen synth`` run): a drawn number that was
    made before takes the next free sequence number of the same area, birth date and sex
    (there are 500 of each sex), and only if all are taken the next area code. Collisions are
    resolved without drawing again, so the random stream, and with it every other field of
    every profile, is what it was before numbers were made distinct; the result is still
    deterministic per seed. Memory: one int per number made (about 60 bytes: 60 MB a million).
    """

    def __init__(self, areas: AreaCodes | None = None) -> None:
        self.areas = areas or AreaCodes.load()
        self._area_sum = {c: _partial(c, WEIGHTS[0:6]) for c in self.areas.codes}
        self._month_sum = [0] + [_partial(f"{m:02d}", WEIGHTS[10:12]) for m in range(1, 13)]
        self._day_sum = [0] + [_partial(f"{d:02d}", WEIGHTS[12:14]) for d in range(1, 32)]
        self._seq_sum = [_partial(f"{s:03d}", WEIGHTS[14:17]) for s in range(1000)]
        self._year_sum: dict[int, int] = {}
        self._area_index = {c: i for i, c in enumerate(self.areas.codes)}
        # The first 17 digits of every number made, as ints (a set of str would take 1.6×).
        self._made: set[int] = set()

    def make(self, rng: Random, year: int, month: int, day: int, male: bool) -> str:
        area = self.areas.draw(rng)
        # The sequence's last digit carries the sex: odd for men, even for women.
        seq = rng.randrange(500) * 2 + 1 if male else rng.randrange(1, 500) * 2
        ysum = self._year_sum.get(year)
        if ysum is None:
            ysum = self._year_sum[year] = _partial(f"{year:04d}", WEIGHTS[6:10])
        date = year * 10000 + month * 100 + day
        key = (int(area) * 100_000_000 + date) * 1000 + seq
        if key in self._made:
            area, seq, key = self._free(area, date, seq, male)
        self._made.add(key)
        total = (
            self._area_sum[area]
            + ysum
            + self._month_sum[month]
            + self._day_sum[day]
            + self._seq_sum[seq]
        )
        return f"{area}{year:04d}{month:02d}{day:02d}{seq:03d}{CHECK_CHARS[total % 11]}"

    def _free(self, area: str, date: int, seq: int, male: bool) -> tuple[str, int, int]:
        """The next number not made yet after (area, date, seq): the following sequence
        numbers of the same sex (wrapping), then the same for the following area codes."""
        codes = self.areas.codes
        first = self._area_index[area]
        lowest = 1 if male else 2  # 000 is no sequence number
        for step in range(len(codes)):
            code = codes[(first + step) % len(codes)]
            base = (int(code) * 100_000_000 + date) * 1000
            for k in range(1, 501):
                candidate = lowest + ((seq - lowest + 2 * k) % 1000)
                if candidate > 999:  # a woman's range ends at 998
                    continue
                if base + candidate not in self._made:
                    return code, candidate, base + candidate
        raise RuntimeError("every identity number of this birth date and sex is taken")
