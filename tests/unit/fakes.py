"""Test doubles shared by the unit tests."""


class FakeClock:
    """A clock that only moves when someone sleeps (or the test advances it); sleeps recorded."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
