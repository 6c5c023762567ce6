"""Extensions, created unbound and bound to the app in create_app()."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from lms.db import db

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()

#: One budget for looking up and verifying certificates, shared by the verify pages and the
#: API, so that sweeping ids through any of them runs into the same limit.
CERTIFICATE_LOOKUP_SCOPE = "certificate-lookups"


def verify_rate_limit() -> str:
    """The configured budget for certificate lookups (LMS_VERIFY_RATE_LIMIT)."""
    return str(current_app.config["VERIFY_RATE_LIMIT"])


def email_rate_limit() -> str:
    """The configured budget for requests that send a link by e-mail (LMS_EMAIL_LIMIT)."""
    return str(current_app.config["EMAIL_LIMIT"])


__all__ = [
    "CERTIFICATE_LOOKUP_SCOPE",
    "babel",
    "csrf",
    "db",
    "email_rate_limit",
    "limiter",
    "login_manager",
    "verify_rate_limit",
]
