"""The CLI caps glibc's per-thread heaps before its fetch threads start (bench regime b RSS)."""

import platform
import sys

import mews
import pytest

ON_GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not ON_GLIBC, reason="the setting exists only in glibc's allocator")
def test_glibc_takes_the_arena_limit() -> None:
    # 8 is glibc's own default per core on a 64-bit machine: harmless for the test process.
    assert mews.limit_malloc_arenas(8) is True


def test_other_platforms_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert mews.limit_malloc_arenas() is False
