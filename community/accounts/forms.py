"""Forms for signing in, asking for an account, passwords, profiles and admin actions."""
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..guard import GuardedForm
from ..inputs import Form
from ..vocabulary import PROGRAMS, ROLES
from .services import MIN_PASSWORD_LENGTH

PROGRAM_CHOICES = [("", "Choose a program")] + PROGRAMS


class SignInForm(Form):
    email = EmailField("E-mail", validators=[DataRequired("Enter your e-mail address."),
                                             Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    next = HiddenField()


class AccountRequestForm(GuardedForm, Form):
    name = StringField("Full name", validators=[DataRequired("Enter your name."), Length(max=120)])
    email = EmailField("Work e-mail", validators=[
        DataRequired("Enter your work e-mail address."),
        Email("Enter an e-mail address like name@county.ca.gov.", check_deliverability=False),
        Length(max=254)])
    county_id = SelectField("County", coerce=int, validators=[Optional()])
    program = SelectField("Program", choices=PROGRAM_CHOICES,
                          validators=[DataRequired("Choose the program you work in.")])
    title = StringField("Job title", validators=[DataRequired("Enter your job title."),
                                                 Length(max=120)])
    note = TextAreaField("Anything the administrators should know (optional)",
                         validators=[Optional(), Length(max=1000)])


class ForgotPasswordForm(Form):
    email = EmailField("E-mail", validators=[
        DataRequired("Enter your e-mail address."),
        Email("Enter a valid e-mail address.", check_deliverability=False)])


class SetPasswordForm(Form):
    password = PasswordField("New password", validators=[
        DataRequired("Enter a password."),
        Length(min=MIN_PASSWORD_LENGTH, max=200,
               message=f"Use at least {MIN_PASSWORD_LENGTH} characters.")])
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired("Repeat the password."), EqualTo("password", "The passwords do not match.")])


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField("Current password", validators=[
        DataRequired("Enter your current password.")])


class ProfileForm(GuardedForm, Form):
    name = StringField("Full name", validators=[DataRequired("Enter your name."), Length(max=120)])
    title = StringField("Job title", validators=[Optional(), Length(max=120)])
    program = SelectField("Program", choices=PROGRAMS)
    bio = TextAreaField("About you", validators=[Optional(), Length(max=2000)],
                        description="A few words colleagues will see on your profile.")


class InviteForm(Form):
    name = StringField("Full name", validators=[DataRequired("Enter the person's name."),
                                                Length(max=120)])
    email = EmailField("E-mail", validators=[
        DataRequired("Enter the person's e-mail address."),
        Email("Enter a valid e-mail address.", check_deliverability=False)])
    role = SelectField("Role", choices=ROLES, default="member")
    county_id = SelectField("County", coerce=int, validators=[Optional()])
    program = SelectField("Program", choices=PROGRAMS, default="cws")
    title = StringField("Job title", validators=[Optional(), Length(max=120)])


class RoleForm(Form):
    role = SelectField("Role", choices=ROLES)


class CountyForm(Form):
    county_id = SelectField("County", coerce=int, validators=[Optional()])


class DeclineForm(Form):
    reason = TextAreaField("Reason (sent to the person)", validators=[
        Optional(), Length(max=1000, message="Keep the reason to 1,000 characters; nothing was sent.")])


class ConfirmForm(Form):
    """A form with only the CSRF token, for one-button actions."""
