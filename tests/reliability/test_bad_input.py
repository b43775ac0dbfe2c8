"""Bad input and refused requests via the CLI: one `mews: error:` line, non-zero, dataset intact."""

import pytest

from tests.reliability.cli_scenarios import FAULT_SCENARIOS, SCENARIOS, CliScenario
from tests.reliability.conftest import CliWorld
from tests.reliability.figures import record
from tests.reliability.harness import Damage, damage, one_error_line
from tests.support import assert_equal_to_truth

BAD_CONFIG = [pytest.param(s, id=s.name) for s in SCENARIOS if s.exit_code == 2]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_failed_run_names_the_problem_in_one_line_and_changes_nothing(
    cli_world: CliWorld, scenario: CliScenario
):
    outcome = cli_world.outcome(scenario)
    done = outcome.done

    line = one_error_line(done.stderr)
    assert done.returncode in (1, 2), done.stderr[-2000:]
    if scenario.exit_code == 1:
        assert done.returncode == 1
    for expected in scenario.expect:
        assert expected in line, line
    assert outcome.after == outcome.before
    assert not (outcome.db.parent / "missing").exists()
    record(f"cli: {scenario.name}", scenario.injected, runs=1, lost=0, duplicated=0,
           outcome=f"exit {done.returncode}: {line[len('mews: error: '):]}")  # fmt: skip


@pytest.mark.parametrize("scenario", BAD_CONFIG)
def test_bad_config_exits_with_code_2(cli_world: CliWorld, scenario: CliScenario):
    assert cli_world.outcome(scenario).done.returncode == 2


@pytest.mark.parametrize("scenario", FAULT_SCENARIOS, ids=[s.name for s in FAULT_SCENARIOS])
def test_faulty_cli_run_recovers_or_fails_in_one_line(cli_world: CliWorld, scenario: CliScenario):
    outcome = cli_world.outcome(scenario)
    done = outcome.done

    if scenario.fails:
        line = one_error_line(done.stderr)
        assert done.returncode == scenario.exit_code
        assert all(expected in line for expected in scenario.expect), line
        assert outcome.after == outcome.before
        result = Damage(0, 0)  # unchanged: the fingerprint matched
    else:
        assert done.returncode == 0, done.stderr[-2000:]
        assert "mews: error" not in done.stderr
        assert_equal_to_truth(outcome.db, cli_world.sim)
        result = damage(outcome.db, cli_world.sim)
    record(f"cli: {scenario.name}", scenario.injected, runs=1, lost=result.lost,
           duplicated=result.duplicated, outcome=f"exit {done.returncode}")  # fmt: skip
