"""The form for making a personal API token."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from lms.api.models import Scope

SCOPE_LABELS = {
    Scope.VERIFY: _l("Verification only"),
    Scope.HOLDER: _l("My certificates (and the cohorts I train)"),
    Scope.ADMIN_READ: _l("Read everything an admin can read"),
}


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("Where you will use it, e.g. “HR portal”."),
    )
    scope = SelectField(_l("Scope"), validators=[DataRequired()])

    def set_scopes(self, scopes: list[Scope]) -> None:
        self.scope.choices = [(scope.value, SCOPE_LABELS[scope]) for scope in scopes]
