"""A small exception family whose messages are one line and never contain a token."""


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
