"""Organizer pages: build instruments, preview them, run rounds. Guarded as a unit."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import attempt
from ..extensions import db
from ..permissions import can
from ..timeutil import from_pacific, to_pacific, utcnow
from ..vocabulary import IMPLEMENTATION_STAGES
from . import manage_bp as bp
from . import services
from .forms import QuestionForm, RoundForm, SectionForm, SurveyForm
from .models import Question, Round, Survey


@bp.before_request
def _organizers_only():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in", next=request.path))
    if not can(current_user, "organize"):
        abort(404)
    return None


@bp.route("/", methods=["GET", "POST"])
def surveys():
    form = SurveyForm()
    if form.validate_on_submit():
        made = attempt(lambda: services.create_survey(
            current_user, form.title.data, form.description.data, form.audience.data), form=form,
            success="Survey created. Now add its questions.")
        if made:
            return redirect(url_for(".survey", survey_id=made.result.id))
    listed = db.session.scalars(db.select(Survey).order_by(Survey.updated_at.desc())).all()
    return render_template("surveys/manage_list.html", surveys=listed, form=form), 422 if form.errors else 200


def _survey_or_404(survey_id):
    return db.session.get(Survey, survey_id) or abort(404)


def _question_form(survey, question=None):
    form = QuestionForm(obj=question)
    form.section_id.choices = [(0, "No section")] + [(s.id, s.title) for s in survey.sections]
    if request.method == "GET" and question is not None:
        form.options.data = "\n".join(question.options)
        form.section_id.data = question.section_id or 0
    return form


def _save_question(survey, form, question=None):
    return attempt(lambda: services.save_question(
        survey, current_user, question, kind=form.kind.data, prompt=form.prompt.data,
        help_text=form.help_text.data, required=form.required.data,
        options=(form.options.data or "").splitlines(), section_id=form.section_id.data or None), form=form)


@bp.route("/<int:survey_id>", methods=["GET", "POST"])
def survey(survey_id):
    survey = _survey_or_404(survey_id)
    details = SurveyForm(obj=survey, prefix="s")
    section_form, question_form = SectionForm(prefix="sec"), _question_form(survey)
    round_form = RoundForm(prefix="r")
    if request.method == "GET":
        start = to_pacific(utcnow()).replace(tzinfo=None, second=0, microsecond=0)
        round_form.opens_at.data = start
        round_form.closes_at.data = start.replace(hour=17, minute=0)
    action = request.form.get("form")
    if action == "details" and details.validate_on_submit():
        if attempt(lambda: services.update_survey(
                survey, current_user, details.title.data, details.description.data, details.audience.data),
                form=details, success="Survey saved."):
            return redirect(url_for(".survey", survey_id=survey.id))
    elif action == "section" and section_form.validate_on_submit():
        if attempt(lambda: services.add_section(
                survey, current_user, section_form.title.data, section_form.description.data),
                form=section_form, success="Section added."):
            return redirect(url_for(".survey", survey_id=survey.id))
    elif action == "question" and question_form.validate_on_submit():
        if _save_question(survey, question_form):
            flash("Question added.", "success")
            return redirect(url_for(".survey", survey_id=survey.id) + "#questions")
    elif action == "round" and round_form.validate_on_submit():
        made = attempt(lambda: services.create_round(
            survey, current_user, round_form.name.data, from_pacific(round_form.opens_at.data),
            from_pacific(round_form.closes_at.data)), form=round_form,
            success="Round created. Open it to invite people.")
        if made:
            return redirect(url_for(".round_page", round_id=made.result.id))
    forms = (details, section_form, question_form, round_form)
    status = 422 if request.method == "POST" and any(f.errors for f in forms) else 200
    return render_template("surveys/manage_survey.html", survey=survey, details=details,
                           section_form=section_form, question_form=question_form, round_form=round_form,
                           progress={r.id: services.progress(r) for r in survey.rounds}), status


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
def question(question_id):
    question = db.session.get(Question, question_id) or abort(404)
    survey = question.survey
    form = _question_form(survey, question)
    if form.validate_on_submit() and _save_question(survey, form, question):
        flash("Question saved.", "success")
        return redirect(url_for(".survey", survey_id=survey.id) + "#questions")
    return render_template("surveys/manage_question.html", survey=survey, question=question, form=form), \
        422 if form.errors else 200


@bp.post("/questions/<int:question_id>/<any(up, down, delete):action>")
def question_action(question_id, action):
    question = db.session.get(Question, question_id) or abort(404)
    survey_id = question.survey_id
    if action == "delete":
        attempt(lambda: services.delete_question(question, current_user), success="Question deleted.")
    else:
        attempt(lambda: services.move_question(question, current_user, -1 if action == "up" else 1))
    return redirect(url_for(".survey", survey_id=survey_id) + "#questions")


@bp.get("/<int:survey_id>/preview")
def preview(survey_id):
    survey = _survey_or_404(survey_id)
    return render_template("surveys/respond.html", survey=survey, survey_round=None, response=None, values={},
                           errors={}, stages=IMPLEMENTATION_STAGES, needs_confirmation=False, preview=True)


@bp.get("/rounds/<int:round_id>")
def round_page(round_id):
    survey_round = db.session.get(Round, round_id) or abort(404)
    return render_template("surveys/manage_round.html", survey_round=survey_round, survey=survey_round.survey,
                           progress=services.progress(survey_round))


@bp.post("/rounds/<int:round_id>/<any(open, close, invite):action>")
def round_action(round_id, action):
    survey_round = db.session.get(Round, round_id) or abort(404)
    if action == "open":
        attempt(lambda: services.open_round(survey_round, current_user),
                success=lambda invited: f"The round is open; {invited} people were invited by e-mail.")
    elif action == "invite":
        attempt(lambda: services.invite(survey_round), success=lambda invited:
                f"{invited} more people were invited." if invited else "Everyone is invited already.")
    else:
        attempt(lambda: services.close_round(survey_round, current_user),
                success="The round is closed. Its results are now visible to members.")
    return redirect(url_for(".round_page", round_id=round_id))
