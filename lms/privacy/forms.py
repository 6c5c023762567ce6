"""Forms of the privacy pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from lms.privacy.models import CertificateChoice
from lms.privacy.services import MAX_REASON


class ExportForm(FlaskForm):
    """Only the CSRF token: the export is a POST because it is recorded."""


class ErasureRequestForm(FlaskForm):
    certificates = RadioField(
        _l("Your certificates"),
        choices=[
            SelectChoice(
                CertificateChoice.REVOKE.value,
                _l(
                    "Revoke them: a copy checked by an employer shows as revoked; "
                    "your name is erased."
                ),
            ),
            SelectChoice(
                CertificateChoice.KEEP.value,
                _l(
                    "Keep them verifiable: your name and the certificates stay, "
                    "nothing else about you."
                ),
            ),
        ],
        validators=[InputRequired(message=_l("Choose what happens to your certificates."))],
    )
    confirm = BooleanField(
        _l("I understand that my account and my work will be deleted and cannot be restored"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class ApproveForm(FlaskForm):
    confirm = BooleanField(
        _l("I have checked the open matters above; erase this account now"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class RefuseForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (shown to the person)"),
        validators=[DataRequired(), Length(max=MAX_REASON)],
        description=_l("For example: an appeal is open, or a submission is still being graded."),
    )
