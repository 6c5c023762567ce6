from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from lms.grading.rules import CriterionRule
from lms.i18n import level_label


def rubric_form_class(
    criteria: list[CriterionRule], descriptors: dict[str, dict[str, str]]
) -> type[FlaskForm]:
    """A form with one level choice and one feedback box per criterion of this rubric."""

    class RubricForm(FlaskForm):
        overall_feedback = TextAreaField(_l("Overall feedback"), validators=[Length(max=20_000)])
        version = IntegerField(widget=HiddenField.widget, validators=[Optional()])

    for criterion in criteria:
        levels = descriptors.get(criterion.code, {})
        choices = [
            SelectChoice(
                str(level), f"{level} · {level_label(level)} — {levels.get(str(level), '')}"
            )
            for level in range(5)
        ]
        setattr(
            RubricForm,
            f"level__{criterion.code}",
            RadioField(criterion.title, choices=choices, validators=[Optional()]),
        )
        setattr(
            RubricForm,
            f"feedback__{criterion.code}",
            TextAreaField(
                _l("Feedback on “%(title)s”", title=criterion.title),
                validators=[Length(max=10_000)],
            ),
        )
    return RubricForm


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        _l("What should the trainee complete or change?"),
        validators=[DataRequired(), Length(max=5_000)],
    )


class ReassignForm(FlaskForm):
    trainer_id = SelectField(_l("Reassign to"), coerce=int)


class SnippetForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    text = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=5_000)])
