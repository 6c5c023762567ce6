"""Texts kept as a message id and parameters, written in the reader's language when shown.

A failed attempt's reasons, a notification and a verification check's detail are stored (or
returned) as `Message(id, params)`, never as finished text: a trainee reads in French what a
grader wrote in German, and a notification follows its reader's language after they switch.
Every id below maps to a lazy gettext message, so `make translations` extracts it.

Parameters are plain values: text (a course title, a reason someone typed) is shown as it is;
an `int` as it is (it may choose a plural form); a `Decimal` (a score) with one decimal in the
reader's conventions (25,0 in German and French); a `date` as a date; a `datetime` as a date and
time, in the time zone named by the `zone` parameter if there is one, else the reader's; a
`Message` (or a list of them, one per line) in the reader's language too.

`english()` writes the stable English of the API, the command line, the audit trail and the old
text columns: ISO dates, plain numbers, the message ids' own English words.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Plural:
    """A message whose form depends on the number in the parameter `count`."""

    singular: str
    plural: str
    count: str = "n"


def _ln(singular: str, plural: str, count: str = "n") -> Plural:
    """Mark a plural message (extracted with `-k _ln:1,2`, see the Makefile)."""
    return Plural(singular, plural, count)


#: Every message id and its text. Ids are stable: stored rows and API clients refer to them.
CATALOGUE: dict[str, Any] = {
    # Why an attempt failed (lms.grading.rules).
    "grading.criterion_below_minimum": _l(
        "“%(criterion)s” is at level %(level)d; priority %(priority)s criteria need at least"
        " level %(minimum)d."
    ),
    "grading.score_below_pass_mark": _l(
        "The score %(score)s is below the pass mark of %(pass_mark)d."
    ),
    # In-app notifications (title, and body where it is not someone's own words).
    "notification.grade_passed": _l("Your case study “%(title)s” passed"),
    "notification.grade_released": _l("Your case study “%(title)s” was graded"),
    "notification.grade_released.body": _l("Score %(score)s out of 100."),
    "notification.submission_returned": _l(
        "Your case study “%(title)s” was returned for completion"
    ),
    "notification.certificate_pending": _l(
        "You completed “%(course)s”: your certificate awaits approval"
    ),
    "notification.certificate_issued": _l("Your certificate for “%(course)s” is ready"),
    "notification.certificate_revoked": _l("Your certificate %(id)s was revoked"),
    "notification.certificate_expiring": _ln(
        "Your certificate for “%(course)s” expires in %(days)d day",
        "Your certificate for “%(course)s” expires in %(days)d days",
        count="days",
    ),
    "notification.deadline_reminder": _ln(
        "The case study “%(title)s” is due in %(days)d day",
        "The case study “%(title)s” is due in %(days)d days",
        count="days",
    ),
    "notification.deadline_reminder.body": _l("Due %(date)s (%(zone)s time)."),
    "notification.grading_backlog": _ln(
        "%(n)d submission has been waiting for a grade too long",
        "%(n)d submissions have been waiting for a grade too long",
    ),
    "notification.grading_backlog.line": _l("%(module)s, attempt %(attempt)d, submitted %(date)s"),
    "notification.erasure_requested": _l("A person asked for their account to be erased"),
    "notification.erasure_requested.body": _l("Review the request and approve or refuse it."),
    "notification.erasure_refused": _l("Your request to erase your account was refused"),
    # What each verification check found (lms.certificates.verification, SPEC §3).
    "verify.format.ok": _l("a well-formed OpenBadgeCredential (VC-JWT)"),
    "verify.format.not_text": _l("the credential must be text (a compact JWS)"),
    "verify.format.too_long": _l("the credential is longer than %(kb)d KB"),
    "verify.format.not_compact_jws": _l(
        "not a compact JWS (three base64url parts separated by dots)"
    ),
    "verify.format.not_base64_json": _l("a part of the token is not base64url-encoded JSON"),
    "verify.format.not_objects": _l("the header and the payload must be JSON objects"),
    "verify.format.typ": _l("the header's typ must be JWT"),
    "verify.format.claim_not_text": _l("the required claim '%(claim)s' is missing or not text"),
    "verify.format.claim_not_seconds": _l(
        "the required claim '%(claim)s' is missing or not a number of seconds"
    ),
    "verify.format.iat_not_seconds": _l("the claim 'iat' is not a number of seconds"),
    "verify.format.not_open_badge": _l("the payload is not an OpenBadgeCredential"),
    "verify.signature.ok": _l("signed with the issuer's key %(kid)s"),
    "verify.signature.ok_before_compromise": _l(
        "signed with the issuer's key %(kid)s (revoked on %(revoked)s, but signed before it was"
        " compromised on %(compromised)s UTC)"
    ),
    "verify.signature.ok_key_set": _l("signed with the key %(kid)s of the key set"),
    "verify.signature.not_a_key_set": _l('the key set given is not a JWKS ({"keys": [...]})'),
    "verify.signature.key_set_key_refused": _l(
        "the key %(kid)s in the key set is refused: %(error)s"
    ),
    "verify.signature.not_in_key_set": _l(
        "the key named by the credential is not in the key set given"
    ),
    "verify.signature.unknown_key": _l(
        "the credential names a signing key that is not one of this issuer's keys"
    ),
    "verify.signature.key_revoked": _l(
        "the signing key %(kid)s was revoked on %(revoked)s: what it signed is no longer valid;"
        " ask the issuer for a re-issued credential"
    ),
    "verify.signature.key_compromised": _l(
        "the signing key %(kid)s was revoked on %(revoked)s, compromised since %(compromised)s"
        " UTC: what it signed is no longer valid; ask the issuer for a re-issued credential"
    ),
    "verify.signature.key_unusable": _l("the issuer's key %(kid)s is unusable: %(error)s"),
    "verify.signature.algorithm": _l("the algorithm %(alg)s is not accepted: only EdDSA (Ed25519)"),
    "verify.signature.header_field": _l(
        "the header field %(field)s is not accepted: keys are taken only from the issuer's"
        " published key set"
    ),
    "verify.signature.no_kid": _l("the header names no signing key (kid)"),
    "verify.signature.kid_too_long": _l("the key id is longer than %(n)d characters"),
    "verify.signature.not_base64": _l("the signature is not base64url-encoded"),
    "verify.signature.mismatch": _l(
        "the signature does not match: the credential was altered, or not signed by this key"
    ),
    "verify.issuer.ok": _l("issued by %(issuer)s"),
    "verify.issuer.other": _l("issued by %(claimed)s, not by this issuer (%(expected)s)"),
    "verify.dates.ok": _l("valid from %(start)s until %(end)s"),
    "verify.dates.claims_differ": _l("validFrom/validUntil do not match the nbf/exp claims"),
    "verify.dates.not_yet": _l("not valid yet: valid from %(start)s UTC"),
    "verify.dates.expired": _l("expired on %(end)s"),
    "verify.status.ok": _l("in force: neither revoked nor suspended"),
    "verify.status.unknown": _l("the issuer has no certificate with this id"),
    "verify.status.revoked": _l("REVOKED on %(date)s: %(reason)s"),
    "verify.status.revoked_undated": _l("REVOKED: %(reason)s"),
    "verify.status.no_reason": _l("no reason given"),
    "verify.status.suspended": _l("SUSPENDED since %(date)s"),
    "verify.status.suspended_undated": _l("SUSPENDED"),
    "verify.status.expired": _l("EXPIRED on %(date)s"),
    "verify.status.superseded": _l("replaced by a renewed certificate (%(id)s)"),
    "verify.status.superseded_unknown": _l("replaced by a renewed certificate"),
    "verify.status.pending": _l("not issued (waiting for approval)"),
    "verify.status.not_checked": _l("not checked"),
    "verify.status.offline": _l("not checked offline: only the status list or the verify page can"),
    "verify.record.ok": _l("matches the issuer's record of %(id)s"),
    "verify.record.none": _l("the issuer has no record of this credential"),
    "verify.record.reissued": _l(
        "does not match the issuer's record of %(id)s: it was re-issued; use the current"
        " credential from the verify page"
    ),
    "verify.record.offline": _l("not checked offline"),
    "verify.skipped.unreadable": _l("not checked: the credential could not be read"),
    "verify.skipped.unsigned": _l(
        "not checked: without a valid signature nothing in it can be trusted"
    ),
}


@dataclass(frozen=True)
class Message:
    """A message id and its parameters (hashable: verify pages are kept by their checks)."""

    id: str
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, message_id: str, **params: Any) -> Message:
        """The message `message_id` with `params`; an unknown id is a programming error."""
        if message_id not in CATALOGUE:
            raise KeyError(f"no message {message_id!r} in lms.messages.CATALOGUE")
        return cls(message_id, tuple(sorted((k, _frozen(v)) for k, v in params.items())))

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.params)

    def text(self) -> str:
        """The message in the current language (the reader's: request, or `speaking_to`)."""
        from flask_babel import get_translations

        translations = get_translations()
        entry = CATALOGUE.get(self.id)
        values = self.values
        shown = {name: _localised(value, values) for name, value in values.items()}
        if isinstance(entry, Plural):
            count = int(values[entry.count])
            pattern = translations.ungettext(entry.singular, entry.plural, count)
            if pattern in (entry.singular, entry.plural) and count != 1:
                # A catalogue that knows only the plural as a message of its own (the texts
                # were so before they had a singular): better its translation than English.
                pattern = translations.ugettext(entry.plural)
        elif entry is None:
            return self.id  # a row written by a newer version that knows more ids
        else:
            pattern = translations.ugettext(_msgid(entry))
        return _format(pattern, shown)

    def english(self) -> str:
        """The stable English text (API `detail`, command line, audit, old text columns)."""
        entry = CATALOGUE.get(self.id)
        values = self.values
        plain = {name: _plain(value, values) for name, value in values.items()}
        if isinstance(entry, Plural):
            pattern = entry.singular if int(values[entry.count]) == 1 else entry.plural
        elif entry is None:
            return self.id
        else:
            pattern = _msgid(entry)
        return _format(pattern, plain)

    def to_json(self) -> dict[str, Any]:
        """What a JSON column keeps: {"id": ..., "params": {...}} with typed values tagged."""
        return {"id": self.id, "params": {k: _encode(v) for k, v in self.params}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        params = data.get("params") or {}
        return cls(
            str(data["id"]), tuple(sorted((k, _frozen(_decode(v))) for k, v in params.items()))
        )


def _msgid(entry: Any) -> str:
    # The English a lazy gettext message was made from (flask_babel keeps it as its argument):
    # the stable English is the msgid itself, whatever the current language.
    return str(entry._args[0])


def _format(pattern: str, values: Mapping[str, Any]) -> str:
    try:
        return pattern % values if values else pattern
    except (KeyError, TypeError, ValueError):
        return pattern  # a translation that lost a placeholder: better its words than a 500


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _zone(values: Mapping[str, Any]) -> zoneinfo.ZoneInfo | None:
    name = values.get("zone")
    try:
        return zoneinfo.ZoneInfo(name) if isinstance(name, str) and name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _localised(value: Any, values: Mapping[str, Any]) -> Any:
    from babel.dates import format_date
    from babel.numbers import format_decimal
    from flask_babel import get_locale

    from lms.i18n import DEFAULT_LOCALE, datetime_local, formatting_locale

    locale = formatting_locale(str(get_locale() or DEFAULT_LOCALE))
    if isinstance(value, Message):
        return value.text()
    if isinstance(value, tuple):
        return "\n".join(str(_localised(item, values)) for item in value)
    if isinstance(value, Decimal | float):
        return format_decimal(value, "#,##0.0", locale=locale)
    if isinstance(value, dt.datetime):
        zone = _zone(values)
        return datetime_local(value, zone.key if zone else None)
    if isinstance(value, dt.date):
        return format_date(value, "medium", locale=locale)
    return value


def _plain(value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, Message):
        return value.english()
    if isinstance(value, tuple):
        return "\n".join(str(_plain(item, values)) for item in value)
    if isinstance(value, Decimal | float):
        return str(value)
    if isinstance(value, dt.datetime):
        zone = _zone(values) or dt.UTC
        return f"{value.astimezone(zone):%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.to_json()}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if isinstance(value, Decimal | float):
        return {"decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "message":
            return Message.from_json(raw)
        if tag == "decimal":
            return Decimal(str(raw))
        if tag == "datetime":
            return dt.datetime.fromisoformat(raw)
        if tag == "date":
            return dt.date.fromisoformat(raw)
    return value


def text_of(value: Any) -> str:
    """A message, or a list of them (one per line), in the reader's language."""
    return str(_localised(_frozen(value), {}))


def to_json_value(value: Any) -> Any:
    """A parameter's value as a JSON column keeps it (typed values tagged)."""
    return _encode(value)


def english_of(value: Any) -> str:
    """A message, or a list of them (one per line), in the stable English."""
    return str(_plain(_frozen(value), {}))


def texts(stored: list[Mapping[str, Any]] | None, fallback: list[str]) -> list[str]:
    """Stored messages in the reader's language; rows written before messages had ids keep
    their text."""
    if stored is None:
        return list(fallback)
    return [Message.from_json(item).text() for item in stored]
