"""Stop signals end a run like an error does, and say which signal it was.

Airflow and GitHub Actions send SIGTERM on cancel or timeout; people press Ctrl-C. The run
must unwind within seconds: fetches stop, the run lock is freed, and dlt's state moves only
with completed loads, so the next run resumes from the last one.
"""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from dlt.common.exceptions import SignalReceivedException

from mews_source.errors import exception_chain

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(BaseException):
    """A stop signal ended the run (not an `Exception`: nothing may take it for a failure)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """SIGTERM (schedulers cancelling) and SIGINT (Ctrl-C) stop the run, raising `Stopped`.

    The run unwinds as after an error: fetches stop, the lock is freed, and dlt's state moves
    only with completed loads. dlt takes the signals over while it normalizes or loads, lets
    running load jobs end and raises its own exception, wrapped in its step error. A second
    signal stops at once.
    """
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stop)
    try:
        yield
    except BaseException as exc:
        signum = stop_signal(exc)
        if signum is None:
            raise
        raise Stopped(signum) from exc
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    raise SignalReceivedException(signum)


def stop_signal(exc: BaseException) -> int | None:
    """The signal that stopped the run, if a signal did (dlt wraps it in its step errors)."""
    for candidate in exception_chain(exc):
        if isinstance(candidate, SignalReceivedException) and candidate.signal_code > 0:
            return candidate.signal_code
        if isinstance(candidate, KeyboardInterrupt):
            return signal.SIGINT
    return None
