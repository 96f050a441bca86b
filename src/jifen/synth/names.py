"""Chinese names from Faker's zh_CN provider, pre-drawn once into pools.

Faker's providers cost microseconds per call; a pool drawn once per run and sampled with the
run's own Random keeps generation fast and deterministic (Faker is seeded per instance, never
through its global state).
"""

from __future__ import annotations

from random import Random

from faker import Faker

POOL_SIZE = 4096


class NamePool:
    """Surname and given-name pools; surnames keep Faker's frequency weighting."""

    def __init__(self, seed: int, size: int = POOL_SIZE) -> None:
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.surnames = [fake.last_name() for _ in range(size)]
        self.male = [fake.first_name_male() for _ in range(size)]
        self.female = [fake.first_name_female() for _ in range(size)]

    def draw(self, rng: Random, male: bool) -> str:
        given = self.male if male else self.female
        return rng.choice(self.surnames) + rng.choice(given)
