"""Requests to erase an account, and what became of them."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from lms.db import db, enum_column, utcnow


class CertificateChoice(enum.StrEnum):
    """What the person wants done with the certificates they hold."""

    #: Withdrawn: verifiers learn they are revoked; the holder's name is erased with them.
    REVOKE = "revoke"
    #: Still verifiable: the holder's name and the certificates are kept, nothing else.
    KEEP = "keep"


class ErasureState(enum.StrEnum):
    PENDING = "pending"
    #: Approved and carried out (one transaction: there is no approved-but-not-erased state).
    ERASED = "erased"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ErasureRequest(db.Model):
    """A person's request to erase their account, decided by an admin.

    The row outlives the account: it records that (and when, and by which admin) an erasure
    was carried out, without any of the person's data: `user_id` is set to NULL when the
    account row is deleted, and `subject_ref` is the bare number the audit trail uses.
    """

    __tablename__ = "erasure_requests"
    __table_args__ = (
        # At most one open request per person, whoever double-clicks.
        sa.Index(
            "uq_erasure_requests_one_pending",
            "user_id",
            unique=True,
            postgresql_where=sa.text("state = 'pending'"),
            sqlite_where=sa.text("state = 'pending'"),
        ),
    )

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    user_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: The account's id, kept after erasure (as in the audit trail's "users:<id>").
    subject_ref: orm.Mapped[int] = orm.mapped_column(index=True)
    certificates: orm.Mapped[CertificateChoice] = orm.mapped_column(enum_column(CertificateChoice))
    state: orm.Mapped[ErasureState] = orm.mapped_column(
        enum_column(ErasureState), default=ErasureState.PENDING, index=True
    )
    requested_at: orm.Mapped[dt.datetime] = orm.mapped_column(default=utcnow)
    decided_at: orm.Mapped[dt.datetime | None]
    decided_by_id: orm.Mapped[int | None] = orm.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: Why an admin refused; shown to the person.
    refusal_reason: orm.Mapped[str] = orm.mapped_column(sa.Text, default="")
    #: What the erasure removed and kept, as counts (no personal data).
    summary: orm.Mapped[dict[str, Any]] = orm.mapped_column(sa.JSON, default=dict)
    #: The goodbye e-mail in the outbox: deleted by the retention job once it has gone out.
    farewell_outbox_id: orm.Mapped[int | None]

    user = orm.relationship("User", foreign_keys=[user_id])
    decided_by = orm.relationship("User", foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<ErasureRequest {self.id} {self.state.value} user={self.subject_ref}>"
