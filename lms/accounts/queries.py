"""Reads about accounts shared by several views."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts.models import Organisation, Role, User, UserRole
from lms.db import db


def users_query(
    search: str = "", role: Role | None = None, organisation_id: int | None = None
) -> sa.Select[tuple[User]]:
    """Users matching a free-text search on name or e-mail, a role and an organisation."""
    query = sa.select(User).order_by(User.name, User.id)
    search = search.strip()
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
            )
        )
    if role is not None:
        query = query.where(User.id.in_(sa.select(UserRole.user_id).filter_by(role=role)))
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    return query


def organisations() -> list[Organisation]:
    return list(db.session.scalars(sa.select(Organisation).order_by(Organisation.name)))


def organisations_with_counts() -> list[tuple[Organisation, int]]:
    counts = (
        sa.select(User.organisation_id, sa.func.count().label("members"))
        .group_by(User.organisation_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Organisation, sa.func.coalesce(counts.c.members, 0))
        .outerjoin(counts, counts.c.organisation_id == Organisation.id)
        .order_by(Organisation.name)
    )
    return [(org, int(n)) for org, n in rows]
