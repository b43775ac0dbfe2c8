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
        self._lock = threading.Lock()

    def services(self) -> list[dict[str, Any]]:
        """Every service record discovered (each with its EnterpriseId)."""
        with self._lock:
            if self._services is None:
                self._services = self._discover()
            return self._services

    def service_ids(self, kind: str) -> list[str]:
        """Ids to request for `kind` ("Bookable" or "Additional")."""
        found = {s["Id"]: _kind(s) for s in self.services()}
        if not self._configured:
            return [sid for sid, k in found.items() if k == kind]
        # A configured id whose type discovery could not tell is sent for both kinds.
        return [sid for sid in self._configured if found.get(sid) in (kind, None)]

    def enterprise_by_service(self) -> dict[str, str]:
        return {s["Id"]: s["EnterpriseId"] for s in self.services() if s.get("EnterpriseId")}

    def _discover(self) -> list[dict[str, Any]]:
        filters: dict[str, Any] = {}
        if self._enterprise_ids:
            filters["EnterpriseIds"] = self._enterprise_ids
        if self._configured:
            filters["ServiceIds"] = self._configured
        services: list[dict[str, Any]] = []
        services_op = self._client.operation(operations.SERVICES.path)
        for page in fetch_pages(
            services_op, operations.SERVICES.result_key, filters, settings.PAGE_SIZE
        ):
            services.extend(s for s in page.items if isinstance(s.get("Id"), str))
        missing = set(self._configured) - {s["Id"] for s in services}
        if missing and services:
            raise ConfigError(
                f"service_ids not visible to this token: {', '.join(sorted(missing))}"
            )
        return services


def _kind(service: dict[str, Any]) -> str | None:
    data = service.get("Data")
    discriminator = data.get("Discriminator") if isinstance(data, dict) else None
    return discriminator if isinstance(discriminator, str) else None
