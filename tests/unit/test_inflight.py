"""How many requests to keep in flight: the ceiling until measured, then Little's law."""

import threading

import pytest

from mews_source.inflight import InFlightTarget, usable_cores


def test_the_ceiling_holds_until_a_request_was_measured() -> None:
    assert InFlightTarget(10, cores=2)() == 10


def test_a_slow_server_keeps_every_request_in_flight() -> None:
    target = InFlightTarget(10, cores=2)
    for _ in range(5):
        target.record(wait_s=1.0, work_s=0.04)  # the real API: ~1 s per page of 1000
    assert target() == 10


def test_a_fast_server_needs_little_more_than_one_request_per_core() -> None:
    target = InFlightTarget(10, cores=2)
    for _ in range(5):
        target.record(wait_s=0.02, work_s=0.04)  # loopback: answered faster than parsed
    assert target() == 3  # 2 x (20 + 40) / 40


@pytest.mark.parametrize(("wait_s", "work_s"), [(0.0, 0.05), (0.0, 1e-9), (1e-9, 1e-12)])
def test_the_target_stays_between_one_and_the_ceiling(wait_s: float, work_s: float) -> None:
    for cores in (1, 2, 64):
        target = InFlightTarget(8, cores=cores)
        target.record(wait_s, work_s)
        assert 1 <= target() <= 8


def test_no_measured_work_means_the_ceiling() -> None:
    target = InFlightTarget(6, cores=2)
    target.record(wait_s=0.5, work_s=0.0)
    assert target() == 6


def test_the_target_follows_a_server_that_slows_down() -> None:
    target = InFlightTarget(10, cores=2)
    for _ in range(20):
        target.record(wait_s=0.01, work_s=0.04)
    fast = target()
    for _ in range(20):
        target.record(wait_s=0.5, work_s=0.04)
    assert fast <= 3 and target() == 10


def test_records_from_many_threads_are_all_counted() -> None:
    target = InFlightTarget(10, cores=1)

    def feed() -> None:
        for _ in range(500):
            target.record(wait_s=0.0, work_s=0.01)

    threads = [threading.Thread(target=feed) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target() == 1


def test_usable_cores_is_at_least_one() -> None:
    assert usable_cores() >= 1
