"""Service discovery: which services to ask for, and which enterprise each belongs to.

Reservations live under Bookable services, product service orders under Additional ones;
the live 2023-06-06 reservation has no EnterpriseId, so a row's enterprise comes from its
service. Discovery runs lazily, once per connection, on the first resource that needs it.
"""

import threading
from collections.abc import Sequence
from typing import Any

from mews_source import operations, settings
from mews_source.client import MewsClient
from mews_source.errors import ConfigError
from mews_source.paging import fetch_pages
from mews_source.windows import chunks


class ServiceCatalog:
    """The services visible to one connection, fetched with `services/getAll` on first use."""

    def __init__(
        self,
        client: MewsClient,
        enterprise_ids: Sequence[str] = (),
        configured_service_ids: Sequence[str] | None = None,
    ) -> None:
        self._client = client
        self._enterprise_ids = list(enterprise_ids)
        self._configured = list(configured_service_ids or [])
        self._services: list[dict[str, Any]] | None = None
        self._chains: list[str] | None = None
        self._record_ids: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def services(self) -> list[dict[str, Any]]:
        """Every service record discovered (each with its EnterpriseId)."""
        with self._lock:
            if self._services is None:
                self._services = self._discover()
            return self._services

    def service_ids(self, kind: str) -> list[str]:
        """Ids to request for `kind` ("Bookable", "Additional" or `ANY_SERVICE`)."""
        found = {s["Id"]: _kind(s) for s in self.services()}
        if not self._configured:
            return [sid for sid, k in found.items() if kind in (k, operations.ANY_SERVICE)]
        # A configured id whose type discovery could not tell is sent for both kinds.
        wanted = (kind, None, *found.values()) if kind == operations.ANY_SERVICE else (kind, None)
        return [sid for sid in self._configured if found.get(sid) in wanted]

    def chain_ids(self) -> list[str]:
        """The ChainIds of the token's enterprises, from `enterprises/getAll` on first use."""
        with self._lock:
            if self._chains is None:
                filters = {"EnterpriseIds": self._enterprise_ids} if self._enterprise_ids else {}
                records = self._read_all(operations.ENTERPRISES, filters)
                self._chains = sorted({str(r["ChainId"]) for r in records if r.get("ChainId")})
            return self._chains

    def record_ids(self, operation: "operations.Operation", filters: dict[str, Any]) -> list[str]:
        """The ids of every record of `operation` for `filters`, read whole (once a run)."""
        key = operation.name
        with self._lock:
            if key not in self._record_ids:
                records = self._read_all(operation, filters)
                self._record_ids[key] = [str(r["Id"]) for r in records]
            return self._record_ids[key]

    def enterprise_by_service(self) -> dict[str, str]:
        return {s["Id"]: s["EnterpriseId"] for s in self.services() if s.get("EnterpriseId")}

    def _discover(self) -> list[dict[str, Any]]:
        filters: dict[str, Any] = {}
        if self._enterprise_ids:
            filters["EnterpriseIds"] = self._enterprise_ids
        if self._configured:
            filters["ServiceIds"] = self._configured
        services = self._read_all(operations.SERVICES, filters)
        missing = set(self._configured) - {s["Id"] for s in services}
        if missing and services:
            raise ConfigError(
                f"service_ids not visible to this token: {', '.join(sorted(missing))}"
            )
        return services

    def _read_all(
        self, operation: "operations.Operation", filters: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Every record of `operation` for `filters`, page by page (each with a string Id)."""
        post = self._client.operation(operation.path)
        records: list[dict[str, Any]] = []
        for chunk in _chunked(filters, operation):
            for page in fetch_pages(post, operation.result_key, chunk, settings.PAGE_SIZE):
                records.extend(r for r in page.items if isinstance(r.get("Id"), str))
        return records


def _chunked(filters: dict[str, Any], operation: "operations.Operation") -> list[dict[str, Any]]:
    """`filters` with its scope ids in chunks of the operation's id limit."""
    ids = filters.get(operation.scope_filter)
    if not isinstance(ids, list):
        return [filters]
    return [{**filters, operation.scope_filter: c} for c in chunks(ids, operation.id_limit)]


def _kind(service: dict[str, Any]) -> str | None:
    data = service.get("Data")
    discriminator = data.get("Discriminator") if isinstance(data, dict) else None
    return discriminator if isinstance(discriminator, str) else None
