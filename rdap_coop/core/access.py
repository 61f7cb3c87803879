"""Who is asking, and the record of what they were shown.

Both front ends turn a request into an ``Identity`` here -- RDAP from a bearer token,
the ``roidc1_qp`` purpose (RFC 9560) and a case reference; WHOIS from an operator's
allow-listed address ranges -- and write every non-public answer to the audit log
before it leaves. If the record cannot be written the answer is refused (503): a
disclosure is never made unaudited (SPEC ACC-20).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from rdap_coop.core.audit import AuditLog, AuditUnavailable, DisclosureRecord
from rdap_coop.core.client_directory import ClientDirectory
from rdap_coop.core.clients import (
    AuthenticationFailed,
    ClientsFileError,
    IPAddress,
    PurposeNotAllowed,
    parse_case_reference,
    resolve_purpose,
)
from rdap_coop.core.config import AccessSettings
from rdap_coop.core.errors import Forbidden, Unauthorized
from rdap_coop.core.metrics import Service
from rdap_coop.core.redaction import PUBLIC_VIEWER, AccessTier, Viewer

log = logging.getLogger(__name__)

UNAUTHORIZED_TEXT = "The credentials presented are not valid for this service."


@dataclass(frozen=True, slots=True)
class Identity:
    viewer: Viewer
    client_id: str | None = None
    organisation: str | None = None
    purpose: str | None = None
    case_reference: str | None = None
    # Per-client overrides from the clients file (None: the tier's setting).
    rate_limit_burst: int | None = None
    rate_limit_per_second: float | None = None

    @property
    def is_public(self) -> bool:
        return self.viewer.tier is AccessTier.PUBLIC


PUBLIC_IDENTITY = Identity(PUBLIC_VIEWER)


@dataclass(frozen=True, slots=True)
class Answered:
    """What one answer showed, for its audit record: object handles and field names."""

    object_handles: tuple[str, ...] = ()
    disclosed_fields: tuple[str, ...] = ()


@dataclass(slots=True)
class AccessControl:
    directory: ClientDirectory | None
    audit: AuditLog | None

    def identify(
        self,
        authorization: str | None,
        address: IPAddress | None,
        requested_purpose: str | None,
        case_reference: str | None,
        now: datetime,
    ) -> Identity:
        """The identity of an RDAP request; raises Unauthorized, Forbidden, InvalidQuery."""
        if authorization is None:
            return PUBLIC_IDENTITY
        if self.directory is None:
            raise Unauthorized(UNAUTHORIZED_TEXT, "no_clients")
        try:
            client = self.directory.authenticate(authorization, address, now)
        except AuthenticationFailed as failure:
            raise Unauthorized(UNAUTHORIZED_TEXT, failure.reason.value) from None
        if client is None:
            return PUBLIC_IDENTITY
        try:
            purpose = resolve_purpose(client.tier, requested_purpose)
        except PurposeNotAllowed:
            raise Forbidden("This client is not entitled to the stated query purpose.") from None
        return Identity(
            viewer=client.viewer,
            client_id=client.client_id,
            organisation=client.organisation,
            purpose=purpose,
            case_reference=parse_case_reference(case_reference),
            rate_limit_burst=client.rate_limit_burst,
            rate_limit_per_second=client.rate_limit_per_second,
        )

    def reload(self) -> None:
        """SIGHUP: re-read the clients file; a bad file is logged, old clients stay."""
        if self.directory is None:
            return
        try:
            config = self.directory.reload()
        except (ClientsFileError, OSError) as error:
            log.error("clients file not reloaded; previous clients stay in force: %s", error)
            return
        log.info("clients file reloaded: %d clients", len(config.clients))

    def whois_identity(self, address: IPAddress | None) -> Identity:
        """Port 43 carries no credential: an allow-listed range, or the public."""
        allowance = None if self.directory is None else self.directory.whois_viewer_for(address)
        if allowance is None:
            return PUBLIC_IDENTITY
        return Identity(
            viewer=allowance.viewer,
            client_id=allowance.client_id,
            organisation=allowance.organisation,
            purpose=allowance.purpose,
        )

    async def record(
        self,
        identity: Identity,
        *,
        service: Service,
        request_id: str,
        query: str,
        answered: Answered,
        client_address: str,
    ) -> None:
        """Audit one non-public answer; raises AuditUnavailable when it cannot."""
        if identity.is_public:
            return
        if self.audit is None:
            raise AuditUnavailable("No audit log is configured; disclosures are refused.")
        assert identity.client_id and identity.organisation and identity.purpose
        record = DisclosureRecord(
            time=datetime.now(UTC),
            request_id=request_id,
            service=service,
            client_id=identity.client_id,
            organisation=identity.organisation,
            tier=identity.viewer.tier,
            purpose=identity.purpose,
            case_reference=identity.case_reference,
            query=query[:512],
            object_handles=answered.object_handles,
            disclosed_fields=answered.disclosed_fields,
            client_address=client_address,
        )
        await self.audit.append_async(record)


def build_access_control(settings: AccessSettings) -> AccessControl:
    directory = None if settings.clients_file is None else ClientDirectory(settings.clients_file)
    audit = None if settings.audit_log is None else AuditLog(settings.audit_log)
    return AccessControl(directory=directory, audit=audit)
