"""Signing keys, certificates and the status lists that publish their revocation."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, orm

from lms.db import TimestampMixin, db, enum_column, utcnow

#: Entries per status list: the W3C minimum (16 KiB), so a list hides who is checked.
STATUS_LIST_SIZE = 131_072


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    SUPERSEDED = "superseded"
    PENDING_APPROVAL = "pending_approval"


#: Statuses that count as "the" certificate of a trainee in a course: at most one at a time.
ACTIVE_STATUSES = (CertificateStatus.VALID, CertificateStatus.PENDING_APPROVAL)


class StatusPurpose(enum.StrEnum):
    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class SigningKey(db.Model):
    """An Ed25519 key pair; the private half is stored encrypted with the signing passphrase."""

    __tablename__ = "signing_keys"

    #: 16 random letters and digits; published as `<BASE_URL>/keys/<kid>`.
    kid: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow, index=True)
    #: No longer used to sign; still published and still verifies what it signed.
    retired_at: orm.Mapped[dt.datetime | None]
    #: Withdrawn: unpublished, and what it signed fails verification.
    revoked_at: orm.Mapped[dt.datetime | None]
    #: When known, only what it signed from this moment on fails (earlier records still match).
    compromised_at: orm.Mapped[dt.datetime | None]
    #: The public key as a JWK (kty, crv, x) without `kid`.
    public_jwk: orm.Mapped[dict[str, Any]] = orm.mapped_column(sa.JSON)
    #: PKCS#8 PEM, encrypted with LMS_SIGNING_KEY_PASSPHRASE; deferred so it is loaded only
    #: when signing, and never part of repr() or logs.
    private_pkcs8: orm.Mapped[bytes] = orm.mapped_column(sa.LargeBinary, deferred=True)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_usable_for_signing(self) -> bool:
        return self.retired_at is None and self.revoked_at is None

    def __repr__(self) -> str:
        state = "revoked" if self.revoked_at else "retired" if self.retired_at else "current"
        return f"<SigningKey {self.kid} {state}>"


class StatusList(TimestampMixin, db.Model):
    """A W3C Bitstring Status List: one bit per certificate, set while it is not in force."""

    __tablename__ = "status_lists"
    __table_args__ = (
        sa.CheckConstraint(f"size >= {STATUS_LIST_SIZE}", name="size_minimum"),
        sa.CheckConstraint("next_index >= 0 AND next_index <= size", name="next_index_range"),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    purpose: orm.Mapped[StatusPurpose] = orm.mapped_column(enum_column(StatusPurpose))
    size: orm.Mapped[int] = orm.mapped_column(default=STATUS_LIST_SIZE)
    #: size / 8 bytes; bit 0 is the most significant bit of the first byte (W3C order).
    bits: orm.Mapped[bytes] = orm.mapped_column(sa.LargeBinary)
    #: The next entry to hand out; increased by a single atomic UPDATE.
    next_index: orm.Mapped[int] = orm.mapped_column(default=0)
    updated_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)
    #: The signed BitstringStatusListCredential for the current bits; None when it must be
    #: signed again (bits changed, or its key was revoked).
    credential: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    signed_with: orm.Mapped[str | None] = orm.mapped_column(
        sa.ForeignKey("signing_keys.kid"), index=True
    )

    def __repr__(self) -> str:
        return f"<StatusList {self.id} {self.purpose.value} {self.next_index}/{self.size}>"


class Certificate(TimestampMixin, db.Model):
    """An accreditation: holder, course, results, dates, status and the signed credential."""

    __tablename__ = "certificates"
    __table_args__ = (
        sa.UniqueConstraint("status_list_id", "status_index"),
        # Exactly one valid (or pending) certificate per trainee and course, whoever races.
        sa.Index(
            "uq_certificates_one_active",
            "user_id",
            "course_id",
            unique=True,
            postgresql_where=sa.text("status IN ('valid', 'pending_approval')"),
            sqlite_where=sa.text("status IN ('valid', 'pending_approval')"),
        ),
        sa.CheckConstraint(
            "(status_list_id IS NULL) = (status_index IS NULL)", name="status_entry_complete"
        ),
        # Only renewals have it: without the NULLs, SQLite's statistics do not make the verify
        # lookup (which joins the renewing certificate) scan the table.
        sa.Index(
            "ix_certificates_supersedes_id",
            "supersedes_id",
            postgresql_where=sa.text("supersedes_id IS NOT NULL"),
            sqlite_where=sa.text("supersedes_id IS NOT NULL"),
        ),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    #: `CC-` and five groups of four characters (see lms.certificates.ids), canonical upper case.
    public_id: orm.Mapped[str] = orm.mapped_column(sa.String(32), unique=True)
    user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("users.id"), index=True)
    course_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("courses.id"), index=True)
    content_version_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("content_versions.id"))
    #: Per key activity: {code, title, priority, level 0..4, level_name}, in process order.
    results: orm.Mapped[list[dict[str, Any]]] = orm.mapped_column(sa.JSON)
    #: None while pending approval.
    issued_at: orm.Mapped[dt.datetime | None]
    expires_at: orm.Mapped[dt.datetime | None] = orm.mapped_column(index=True)
    status: orm.Mapped[CertificateStatus] = orm.mapped_column(
        enum_column(CertificateStatus), index=True
    )
    approved_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: orm.Mapped[dt.datetime | None]
    revocation_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    suspended_at: orm.Mapped[dt.datetime | None]
    #: The certificate this one renewed (that one is now superseded).
    supersedes_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("certificates.id"))
    #: The key that signed `credential`.
    key_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.ForeignKey("signing_keys.kid"), index=True
    )
    #: The compact JWS; immutable once set, except through services.reissue_for_key().
    credential: orm.Mapped[str | None] = orm.mapped_column(sa.Text, active_history=True)
    credential_sha256: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(64), active_history=True
    )
    status_list_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("status_lists.id"))
    status_index: orm.Mapped[int | None]

    user = orm.relationship("User", foreign_keys=[user_id])
    course = orm.relationship("Course")
    content_version = orm.relationship("ContentVersion")
    approved_by = orm.relationship("User", foreign_keys=[approved_by_id])
    supersedes: orm.Mapped[Certificate | None] = orm.relationship(remote_side=[id])
    #: The certificate that renewed this one, if any (read only; set through `supersedes`).
    renewed_by: orm.Mapped[Certificate | None] = orm.relationship(
        primaryjoin="Certificate.id == remote(Certificate.supersedes_id)",
        viewonly=True,
        uselist=False,
    )
    signing_key: orm.Mapped[SigningKey | None] = orm.relationship()
    status_list: orm.Mapped[StatusList | None] = orm.relationship()

    def __repr__(self) -> str:
        return f"<Certificate {self.public_id} {self.status.value}>"


class CredentialIsImmutable(RuntimeError):
    """Raised when a signed credential would change outside of re-issuing."""


_rewrite_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "credential_rewrite_allowed", default=False
)


@contextlib.contextmanager
def credential_rewrite_allowed() -> Iterator[None]:
    """Let the re-issue service replace signed credentials (and nothing else)."""
    token = _rewrite_allowed.set(True)
    try:
        yield
    finally:
        _rewrite_allowed.reset(token)


_SIGNED_FIELDS = ("credential", "credential_sha256", "key_id")


@event.listens_for(orm.Session, "before_flush")
def _refuse_credential_changes(session: orm.Session, flush_context: Any, instances: Any) -> None:
    if _rewrite_allowed.get():
        return
    for obj in session.dirty:
        if not isinstance(obj, Certificate):
            continue
        for name in _SIGNED_FIELDS:
            history = orm.attributes.get_history(obj, name)
            if history.added and any(old is not None for old in history.deleted):
                raise CredentialIsImmutable(
                    f"certificate {obj.public_id}: a signed credential never changes; "
                    "use services.reissue_for_key() to re-sign"
                )
