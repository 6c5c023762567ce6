from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.accounts.models import Role

#: Countries offered for organisations: the EU, the EEA, Switzerland, the UK and neighbours.
COUNTRY_CODES = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
    "IS",
    "LI",
    "NO",
    "CH",
    "GB",
    "AL",
    "BA",
    "ME",
    "MK",
    "RS",
    "TR",
    "UA",
    "MD",
    "IL",
]

ROLE_LABELS = {Role.TRAINEE: _l("Trainee"), Role.TRAINER: _l("Trainer"), Role.ADMIN: _l("Admin")}


def country_choices() -> list[SelectChoice]:
    locale = get_locale()
    names = locale.territories if locale else {}
    choices = [SelectChoice(code, names.get(code, code)) for code in COUNTRY_CODES]
    return sorted(choices, key=lambda choice: choice.label)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _role_field() -> MultiCheckboxField:
    return MultiCheckboxField(
        _l("Roles"),
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role],
        validators=[DataRequired(message=_l("Choose at least one role."))],
    )


class _UserFields(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    roles = _role_field()
    organisation_id = SelectField(_l("Organisation"), coerce=int, validate_choice=True)

    def set_organisations(self, organisations: list) -> None:  # type: ignore[type-arg]
        self.organisation_id.choices = [SelectChoice(0, _l("— none —"))] + [
            SelectChoice(org.id, org.name) for org in organisations
        ]


class InviteForm(_UserFields):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class UserEditForm(_UserFields):
    active = BooleanField(_l("Active (can log in)"))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    region = StringField(_l("Region"), validators=[Length(max=120)])

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()

    def validate_country(self, field: SelectField) -> None:
        if field.data not in COUNTRY_CODES:
            raise ValidationError(_l("Choose a country from the list."))
