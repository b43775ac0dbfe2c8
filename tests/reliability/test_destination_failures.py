"""DuckDB's own failures through the CLI: one line with the file and the reason, exit 1.

The file held open by another process, a read-only file system, a full disk: each run fails
in words, changes nothing it cannot finish, and once the cause is gone the next run equals
the source. File systems come from tmpfs mounts (this needs root, as the project's CI has).
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tests.reliability.cli_scenarios import scenario_env
from tests.reliability.conftest import CliWorld
from tests.reliability.figures import record
from tests.reliability.harness import fingerprint, one_error_line
from tests.support import assert_equal_to_truth, run_cli


@contextmanager
def tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A fresh tmpfs of `size` at `mount_point` for the block."""
    mount_point.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def remount(mount_point: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount_point)], check=True)


def cli_env(world: CliWorld, db: Path, root: Path) -> dict[str, str]:
    sim = world.sim
    return scenario_env(sim.url, sim.client_token, sim.portfolio_token, db, world.start, root)


def test_a_file_held_by_another_process_is_named_with_its_pid(cli_world: CliWorld, tmp_path):
    db = tmp_path / "mews.duckdb"
    shutil.copy(cli_world.baseline_db, db)
    before = fingerprint(db)
    holder = duckdb.connect(str(db))  # this test process holds DuckDB's file lock
    try:
        done = run_cli([], cli_env(cli_world, db, tmp_path), timeout=120)
    finally:
        holder.close()

    line = one_error_line(done.stderr)
    assert done.returncode == 1, done.stderr[-2000:]
    assert str(db) in line and "in use by another process" in line
    assert f"PID {os.getpid()}" in line
    assert fingerprint(db) == before
    assert run_cli([], cli_env(cli_world, db, tmp_path), timeout=120).returncode == 0
    assert_equal_to_truth(db, cli_world.sim)
    record("cli: duckdb-file-locked", "another process holds the DuckDB file", runs=2,
           lost=0, duplicated=0, outcome=f"exit 1: {line[len('mews: error: '):]}")  # fmt: skip


def test_a_read_only_file_system_fails_in_one_line(cli_world: CliWorld, tmp_path):
    with tmpfs(tmp_path / "ro", "64m") as mount:
        db = mount / "mews.duckdb"
        shutil.copy(cli_world.baseline_db, db)
        before = fingerprint(db)
        remount(mount, "ro")

        done = run_cli([], cli_env(cli_world, db, tmp_path), timeout=120)

        line = one_error_line(done.stderr)
        assert done.returncode == 1, done.stderr[-2000:]
        assert str(db) in line and "read-only" in line
        remount(mount, "rw")
        assert fingerprint(db) == before
        assert run_cli([], cli_env(cli_world, db, tmp_path), timeout=120).returncode == 0
        assert_equal_to_truth(db, cli_world.sim)
    record("cli: duckdb-read-only", "DuckDB file on a read-only file system", runs=2,
           lost=0, duplicated=0, outcome=f"exit 1: {line[len('mews: error: '):]}")  # fmt: skip


def test_a_full_disk_fails_in_one_line_and_the_next_run_catches_up(cli_world, tmp_path):
    with tmpfs(tmp_path / "full", "300k") as mount:
        db = mount / "mews.duckdb"

        done = run_cli([], cli_env(cli_world, db, tmp_path), timeout=120)

        line = one_error_line(done.stderr)
        assert done.returncode == 1, done.stderr[-2000:]
        assert str(db) in line and "no space left" in line
        remount(mount, "size=64m")
        assert run_cli([], cli_env(cli_world, db, tmp_path), timeout=120).returncode == 0
        assert_equal_to_truth(db, cli_world.sim)
    record("cli: duckdb-disk-full", "DuckDB file on a full 300 KB file system", runs=2,
           lost=0, duplicated=0, outcome=f"exit 1: {line[len('mews: error: '):]}")  # fmt: skip
