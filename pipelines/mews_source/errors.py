"""A small exception family whose messages are one line and never contain a token."""

from collections.abc import Iterator


class MewsError(Exception):
    """Base of every error the connector reports to a person."""


class ConfigError(MewsError):
    """Configuration is missing or invalid."""


class MewsApiError(MewsError):
    """The API rejected a request (400, 403, 404, 409, ...): retrying cannot help."""

    def __init__(self, status: int, path: str, message: str, request_id: str | None) -> None:
        self.status = status
        self.path = path
        self.api_message = message
        self.request_id = request_id
        rid = f" (RequestId {request_id})" if request_id else ""
        super().__init__(f"Mews API answered {status} for {path}: {message}{rid}")


class MewsAuthError(MewsApiError):
    """401: the ClientToken or AccessToken is invalid, expired or lacks permission."""


class RequestTooHeavyError(MewsApiError):
    """408: the request asked for too much data; ask for less (smaller window or page)."""


class TransientError(MewsError):
    """Retries were exhausted on 429, 5xx, dropped connections or malformed bodies."""


class MalformedPageError(MewsError):
    """A successful response does not have the documented shape."""


def find_mews_error(exc: BaseException) -> MewsError | None:
    """Our own error inside dlt's wrappers (PipelineStepFailed, ResourceExtractionError...)."""
    for candidate in exception_chain(exc):
        if isinstance(candidate, MewsError):
            return candidate
    return None


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, its causes and contexts, and what dlt's wrappers hold (`.exception`)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(
            [current.__cause__, current.__context__, getattr(current, "exception", None)]
        )
