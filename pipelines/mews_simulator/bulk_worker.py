"""Worker process of `bulk`: reads chunk jobs from stdin, writes length-prefixed pickles."""

from __future__ import annotations

import pickle
import sys

from mews_simulator.build import Job, reservation_chunk


def _serve_jobs() -> None:
    """Worker side: generate each job's chunk and write it as a length-prefixed pickle."""
    jobs: list[Job] = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for job in jobs:
        payload = pickle.dumps(reservation_chunk(job), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(payload).to_bytes(8, "big"))
        out.write(payload)
        out.flush()


if __name__ == "__main__":
    _serve_jobs()
