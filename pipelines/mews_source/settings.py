"""Limits and defaults of the Mews Connector API that the source relies on."""

from datetime import timedelta

PAGE_SIZE = 1000  # Limitation.Count maximum
MIN_PAGE_SIZE = 50  # floor when a 408 asks for less data per request
MAX_IDS_PER_REQUEST = 1000  # ServiceIds / EnterpriseIds "max 1000 items"
# How far past the run's end the stays lane (`stays_from_start_date`) first looks for stays
# booked before start_date: a reservation made years ahead is still found.
STAYS_AHEAD = timedelta(days=3 * 365)
MIN_WINDOW = timedelta(minutes=1)  # floor when 408 or planning split a window

DEFAULT_CLIENT = "mews-dlt-connector 0.1.0"
DEFAULT_OVERLAP = timedelta(minutes=10)  # re-read to catch late-committed updates
DEFAULT_CONCURRENCY = 10  # ~1 s per page at 6.67 requests/s needs ~7 in flight
RATE_LIMIT_REQUESTS = 200  # per AccessToken ...
RATE_LIMIT_WINDOW_S = 30.0  # ... in a sliding window (guidelines/environments.md)
# Slots are dated when a request's body has left (ratelimit.Slot), so the margin covers only
# the way to Mews and how late its stamp may be. Dated at the grant, 0.25 s met 3 x 429 in 86
# requests at 20 / 3 s on a loaded CI machine; each 1 s costs a rate-bound run ~3% at 200 / 30 s.
RATE_LIMIT_MARGIN_S = 0.5
# When requests wait for the rate limit, the CLI loads what it has every this many seconds
# and fetches on meanwhile: the API's budget is spent during loads, not after them.
LOAD_EVERY_S = 20.0
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
HTTP_TIMEOUT_S = 120.0  # per connect, write or read; a trickle never trips it, hence:
REQUEST_DEADLINE_S = 180.0  # one request in all: connect, headers and the whole body
MAX_BODY_BYTES = 64 * 1024 * 1024  # a 1000-record page is ~2 MB; more is a broken answer
