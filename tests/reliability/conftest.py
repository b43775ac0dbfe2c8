"""The CLI failure scenarios run once per session; test_bad_input and test_secrets read them."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mews_simulator import running_simulator
from tests.integration.test_service_orders import days_ago
from tests.reliability.cli_scenarios import SCENARIOS, CliOutcome, CliScenario, run_scenario
from tests.reliability.harness import HISTORY_DAYS, load, small_config

PARALLEL_RUNS = 3


@dataclass
class CliWorld:
    """A simulator, a dataset loaded from it before its data changed, and cached outcomes."""

    sim: Any
    baseline_db: Path
    start: str
    root: Path
    outcomes: dict[str, CliOutcome] = field(default_factory=dict)

    def outcome(self, scenario: CliScenario) -> CliOutcome:
        if not self.outcomes and scenario in SCENARIOS:
            self._prefetch()
        if scenario.name not in self.outcomes:
            self.outcomes[scenario.name] = run_scenario(self, scenario, self.root / scenario.name)
        return self.outcomes[scenario.name]

    def _prefetch(self) -> None:
        """Run the fault-free scenarios side by side: each CLI start is mostly imports."""
        with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
            runs = {
                s.name: pool.submit(run_scenario, self, s, self.root / s.name) for s in SCENARIOS
            }
            self.outcomes.update({name: run.result() for name, run in runs.items()})


@pytest.fixture(scope="session")
def cli_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliWorld]:
    root = tmp_path_factory.mktemp("cli_scenarios")
    start = days_ago(HISTORY_DAYS + 1)
    with running_simulator(small_config(seed=17, reservations=2_000)) as sim:
        baseline = root / "baseline.duckdb"
        result = load(baseline, sim, start, pipelines_dir=str(root / "baseline_dlt"))
        assert not result.failed, result.failed
        sim.data.mutate(fraction=0.05, create=20, seed=1)
        yield CliWorld(sim, baseline, start, root)
