import datetime as dt
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from lms.cohorts.models import LatePolicy, MemberRole
from lms.courses.models import Course, Module

#: The largest CSV file accepted for enrolment.
MAX_CSV_BYTES = 1024 * 1024

MEMBER_ROLE_LABELS = {MemberRole.TRAINEE: _l("Trainee"), MemberRole.TRAINER: _l("Trainer")}
LATE_POLICY_LABELS = {
    LatePolicy.ACCEPT_MARKED: _l("Accept late submissions, marked as late"),
    LatePolicy.REFUSE: _l("Refuse late submissions"),
}
#: How a datetime-local input sends its value (seconds only if the page asked for them).
DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired()])
    late_policy = SelectField(
        _l("After a deadline"),
        choices=[SelectChoice(policy.value, LATE_POLICY_LABELS[policy]) for policy in LatePolicy],
        default=LatePolicy.ACCEPT_MARKED.value,
    )
    blind_marking = BooleanField(_l("Blind marking"))
    moderation = BooleanField(_l("Second-mark every submission"))

    def cohort_values(self) -> dict[str, object]:
        """The validated fields as keyword arguments for the cohort services."""
        return {
            "name": self.name.data or "",
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "late_policy": LatePolicy(self.late_policy.data),
            "blind_marking": bool(self.blind_marking.data),
            "moderation": bool(self.moderation.data),
        }


class NewCohortForm(CohortForm):
    course_id = SelectField(_l("Course"), coerce=int, validate_choice=True)

    def set_courses(self, courses: list[Course]) -> None:
        self.course_id.choices = [SelectChoice(course.id, course.title) for course in courses]


class MemberForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(
        _l("Role in the cohort"),
        choices=[SelectChoice(role.value, MEMBER_ROLE_LABELS[role]) for role in MemberRole],
        default=MemberRole.TRAINEE.value,
    )
    lead = BooleanField(_l("Lead trainer"))


class CsvUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file."))],
        render_kw={"accept": ".csv,text/csv"},
    )

    #: The file's text, once validated.
    text = ""

    def validate_file(self, field: FileField) -> None:
        """Accept text only, by its content: UTF-8 without NUL bytes, at most 1 MB."""
        data = field.data.stream.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            raise ValidationError(_l("The file must be 1 MB or smaller."))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = "\x00"
        if "\x00" in text:
            raise ValidationError(
                _l("This is not a CSV text file. Save it as “CSV UTF-8” and try again.")
            )
        self.text = text


class _DeadlinesForm(FlaskForm):
    pass


def deadlines_form(
    modules: list[Module],
    zone: dt.tzinfo,
    due: Mapping[int, dt.datetime],
    **kwargs: object,
) -> FlaskForm:
    """A form with one datetime-local field per assessed module, read in `zone`.

    Fields are named `module_<id>`; `due` gives the current deadlines by module id.
    """

    class DeadlinesForm(_DeadlinesForm):
        pass

    for module in modules:
        code = module.key_activity.code if module.key_activity else ""
        field = DateTimeLocalField(
            f"{code} · {module.title}" if code else module.title,
            validators=[Optional()],
            format=DATETIME_LOCAL_FORMATS,
            tz=zone,
        )
        setattr(DeadlinesForm, f"module_{module.id}", field)
    data = {f"module_{module_id}": due_at for module_id, due_at in due.items()}
    return DeadlinesForm(data=data, **kwargs)


def deadline_values(form: FlaskForm, modules: list[Module]) -> dict[int, dt.datetime | None]:
    """The submitted deadlines by module id, in UTC (None where the field was left empty)."""
    values: dict[int, dt.datetime | None] = {}
    for module in modules:
        value = form[f"module_{module.id}"].data
        values[module.id] = value.astimezone(dt.UTC) if value is not None else None
    return values
