from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, MultipleFileField, TextAreaField
from wtforms.validators import Length, Optional

from lms.assessments.services import MAX_ANSWER_CHARS


class AnswerForm(FlaskForm):
    """The answer and its files, saved together: nothing typed waits on another form."""

    answer = TextAreaField(
        _l("Your answer"),
        validators=[Length(max=MAX_ANSWER_CHARS)],
        description=_l(
            "Markdown: **bold**, *italic*, lists with -, tables with |. "
            "Saved as a draft as you type, until you submit."
        ),
        render_kw={"rows": 18},
    )
    #: The attempt the page shows and the version it was read at (none: no attempt open yet).
    submission_id = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])
    files = MultipleFileField(
        _l("Attach files"),
        description=_l(
            "PDF, Word, Excel, PowerPoint, PNG or JPEG. Added when you save, with your text."
        ),
    )


class SubmitForm(FlaskForm):
    version = IntegerField(widget=HiddenField.widget)


class PreviewForm(FlaskForm):
    answer = TextAreaField(validators=[Length(max=MAX_ANSWER_CHARS)])
