"""Read an answer's body within a size cap and a deadline, and name a 200 that is not JSON.

A proxy or a broken server may send a 200 whose body never ends or trickles in a byte at a
time. httpx's timeouts count per read, so neither ever times out, and `response.read()`
would buffer an endless body until the kernel kills the process.
"""

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from mews_source import settings

MIB = 1024 * 1024


@dataclass(frozen=True)
class AnswerLimits:
    """How big one answer's body may be, and how long one request may take in all."""

    max_body_bytes: int = settings.MAX_BODY_BYTES
    deadline_s: float = settings.REQUEST_DEADLINE_S


class BrokenAnswer(Exception):
    """An answer cut off by the cap or the deadline; the request may pass next time."""

    def __init__(self, reason: str, outcome: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome  # the key under which RequestStats counts it


def read_body(
    response: httpx.Response, limits: AnswerLimits, started: float, clock: Callable[[], float]
) -> bytes:
    """The whole body, never holding more than the cap nor reading past the deadline."""
    _check_deadline(limits, started, clock)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise _over_size(limits)  # before reading a byte of it
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise _over_size(limits)
        _check_deadline(limits, started, clock)
        chunks.append(chunk)
    return b"".join(chunks)


def not_json_reason(response: httpx.Response, content: bytes) -> str:
    """Why a 200 body that did not parse is not a page, in a few words for the error line."""
    if not content.strip():
        return "a 200 with an empty body, not JSON"
    if "html" in response.headers.get("Content-Type", "") or content.lstrip()[:1] == b"<":
        return "a 200 with an HTML body, not JSON"
    return "a truncated or invalid JSON body"


def _check_deadline(limits: AnswerLimits, started: float, clock: Callable[[], float]) -> None:
    if clock() - started > limits.deadline_s:
        raise BrokenAnswer(f"no complete answer within {limits.deadline_s:g} s", "deadline")


def _over_size(limits: AnswerLimits) -> BrokenAnswer:
    cap = limits.max_body_bytes
    size = f"{cap // MIB} MiB" if cap % MIB == 0 else f"{cap} bytes"
    return BrokenAnswer(f"response body over {size}", "oversize")
