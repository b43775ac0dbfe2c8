"""Seeded draws: uuid4 strings, tokens shaped like the Mews demo tokens, and cheap picks.

`pick`/`below` use one `random()` each: several times faster than `choice`/`randrange`, which
matters when generating a million records.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_VERSION_MASK = ~(0xF << 76) & ~(0x3 << 62)
_VERSION_BITS = (0x4 << 76) | (0x2 << 62)


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID string drawn from `rng`, so ids are reproducible from the seed."""
    h = "%032x" % ((rng.getrandbits(128) & _VERSION_MASK) | _VERSION_BITS)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_token(rng: random.Random) -> str:
    """An access token in the demo tokens' shape: 32 + 31 upper-case hex digits."""
    return f"{rng.getrandbits(128):032X}-{rng.getrandbits(124):031X}"


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """A uniformly chosen item."""
    return items[int(rng.random() * len(items))]


def below(rng: random.Random, n: int) -> int:
    """A uniform integer in [0, n)."""
    return int(rng.random() * n)


def between(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in [low, high)."""
    return low + int(rng.random() * (high - low))
