"""A strict local simulator of the Mews Connector API, for tests, the offline demo and benchmarks.

    with running_simulator(SimulatorConfig(reservation_count=5_000)) as sim:
        httpx.post(sim.url + "/api/connector/v1/services/getAll", json={...})

Choices where the docs leave room or disagree:
- UpdatedUtc/CreatedUtc/... filters follow operations/_objects.md "Time interval": [Start, End),
  or equality when Start == End. `SimulatorConfig.inclusive_interval_end=True` closes the end.
- Missing or unknown ClientToken/AccessToken -> 401; missing Client -> 400; EnterpriseIds (or
  configuration/get EnterpriseId) outside the token's scope -> 403; non-POST -> 404.
- Datetimes in requests must be ISO 8601 with `Z` or `+00:00`; anything else is a 400.
"""

from mews_simulator.api import ApiResponse, handle
from mews_simulator.changes import Mutation
from mews_simulator.config import FaultConfig, SimulatorConfig
from mews_simulator.data import SimulatorData
from mews_simulator.simulator import Simulator, running_simulator
from mews_simulator.state import RequestRecord, SimulatorState, build_state
from mews_simulator.transport import transport

__all__ = [
    "ApiResponse",
    "FaultConfig",
    "Mutation",
    "RequestRecord",
    "Simulator",
    "SimulatorConfig",
    "SimulatorData",
    "SimulatorState",
    "build_state",
    "handle",
    "running_simulator",
    "transport",
]
