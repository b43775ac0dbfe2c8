"""The bench's machine readings: CPU steal between two readings, and the host yardstick."""

import sys
from collections import namedtuple
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import harness  # noqa: E402
import report  # noqa: E402

Times = namedtuple("Times", "user system idle steal guest")
NoSteal = namedtuple("NoSteal", "user system idle")


def test_steal_is_a_share_of_all_time_spent() -> None:
    before = Times(user=100, system=50, idle=800, steal=10, guest=0)
    after = Times(user=160, system=70, idle=900, steal=30, guest=0)  # 200 spent, 20 stolen
    assert harness.cpu_steal_pct(before, after) == 10.0


def test_guest_time_is_not_counted_twice() -> None:
    before = Times(user=0, system=0, idle=0, steal=0, guest=0)
    after = Times(user=50, system=0, idle=40, steal=10, guest=50)  # guest is inside user
    assert harness.cpu_steal_pct(before, after) == 10.0


def test_no_steal_field_means_unknown() -> None:
    assert harness.cpu_steal_pct(NoSteal(1, 1, 1), NoSteal(2, 2, 2)) is None


def test_yardstick_times_real_work() -> None:
    assert 0.001 < report.cpu_yardstick_s(rounds=1) < 60
