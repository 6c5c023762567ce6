"""Import every feature's models so that metadata (and Alembic) sees all tables."""

from lms.accounts.models import AccountToken, Organisation, User, UserRole, UserSession
from lms.audit.models import AuditEvent

__all__ = ["AccountToken", "AuditEvent", "Organisation", "User", "UserRole", "UserSession"]
