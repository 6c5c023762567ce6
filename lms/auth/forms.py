from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from lms.accounts.passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class ReauthenticateForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        description=_l(
            "At least %(n)d characters. A short sentence is easy to remember.", n=MIN_LENGTH
        ),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New e-mail address"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l(
            "The 6-digit code from your authenticator app, or one of your recovery codes."
        ),
    )


class TwoFactorSetupForm(FlaskForm):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("The 6-digit code the app shows now."),
    )


class TwoFactorDisableForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("A code from your authenticator app, or a recovery code."),
    )
