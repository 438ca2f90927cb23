"""Forms for threads, replies, moderation, clusters and notification settings."""
from wtforms import (BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional

from ..guard import GuardedForm
from ..inputs import Form
from .models import EMAIL_MODES, WATCH_LEVELS

BODY_HINT = ("Markdown works: **bold**, *italic*, lists, > quotes and links. Mention someone with "
             "@handle. Never include names, case numbers or other details that identify a family.")


class PostForm(GuardedForm, Form):
    """A reply or an edit. Preview re-renders the page without saving."""

    body = TextAreaField("Your reply", description=BODY_HINT)
    reply_to = HiddenField()
    preview = SubmitField("Preview")
    submit = SubmitField("Post reply")


class ThreadForm(PostForm):
    title = StringField("Title", validators=[DataRequired("Give the thread a title."),
                                             Length(max=200)])
    body = TextAreaField("What would you like to discuss?", description=BODY_HINT)
    is_question = BooleanField("This is a question: members can mark the reply that answers it")
    submit = SubmitField("Start thread")


class EditPostForm(PostForm):
    title = StringField("Title", validators=[Optional(), Length(max=200)])
    body = TextAreaField("Post", description=BODY_HINT)
    submit = SubmitField("Save changes")


class ReasonForm(GuardedForm, Form):
    reason = StringField("Reason", validators=[DataRequired("Give a reason."), Length(max=500)])


class MoveForm(Form):
    cluster_id = SelectField("Move to cluster", coerce=int)


class ClusterForm(GuardedForm, Form):
    name = StringField("Name", validators=[DataRequired("Give the cluster a name."),
                                           Length(min=3, max=120)])
    description = TextAreaField("Description (shown publicly)",
                                validators=[DataRequired("Describe what the cluster is for."),
                                            Length(max=2000)])
    is_open = BooleanField("Open: any member joins with a click (otherwise a facilitator approves "
                           "each request)", default=True)
    is_public = BooleanField("Public: anyone, including visitors, can read its threads "
                             "(announcements only; peer clusters stay private)")


class WatchForm(Form):
    level = SelectField("Notification level", choices=[("default", "Default")] + WATCH_LEVELS)


class EmailModeForm(Form):
    mode = RadioField("E-mail me about notifications", choices=EMAIL_MODES)


class RedactPostForm(Form):
    """Purge client data from a post: the moderator's cut version, or the standard note."""

    replacement = TextAreaField(
        "The post without the client information",
        description="Cut what identifies a client or family and keep the rest, or empty the box "
                    "to replace the whole post with “[removed by a moderator: client "
                    "information]”. Earlier versions are erased in any case.")
    reason = StringField("Reason", validators=[DataRequired("Give a reason."), Length(max=300)],
                         description="For the audit log and the post's history. Name the kind of "
                                     "information (“a child's full name”), never the information.")
    confirm = BooleanField("I understand that the removed text and every earlier version of this "
                           "post are erased and cannot be brought back.",
                           validators=[DataRequired("Tick the box to confirm the redaction.")])


class RedactTitleForm(Form):
    """Replace a thread's title (and so its link) where it held client information."""

    title = StringField("New title", validators=[DataRequired("Give the thread a new title."),
                                                 Length(max=200)])
    reason = StringField("Reason", validators=[DataRequired("Give a reason."), Length(max=300)],
                         description="For the audit log and the post's history. Name the kind of "
                                     "information (“a family's last name”), never the information.")
    confirm = BooleanField("I understand that the old title, and earlier titles in the edit "
                           "history, are erased and cannot be brought back.",
                           validators=[DataRequired("Tick the box to confirm the redaction.")])
