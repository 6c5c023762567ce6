from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import Length, Optional

from lms.assessments.services import MAX_ANSWER_CHARS


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Your answer"),
        validators=[Length(max=MAX_ANSWER_CHARS)],
        description=_l(
            "Markdown: **bold**, *italic*, lists with -, tables with |. "
            "Saved as a draft until you submit."
        ),
    )
    version = IntegerField(widget=HiddenField.widget, validators=[Optional()])


class UploadForm(FlaskForm):
    file = FileField(
        _l("Attach a file"),
        validators=[FileRequired(_l("Choose a file."))],
        description=_l("PDF, Word, Excel, PowerPoint, PNG or JPEG."),
    )


class SubmitForm(FlaskForm):
    version = IntegerField(widget=HiddenField.widget)
