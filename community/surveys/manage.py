"""Organizer pages: build instruments, preview them, run rounds. Guarded as a unit."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

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


def _attempt(form, act):
    """Run a service call and commit; a refused rule goes on the form and nothing is kept."""
    try:
        result = act()
        db.session.commit()
        return result
    except services.SurveyError as problem:
        db.session.rollback()
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None:
            field.errors = list(field.errors) + [str(problem)]
        else:
            flash(str(problem), "error")
        return None


@bp.route("/", methods=["GET", "POST"])
def surveys():
    form = SurveyForm()
    if form.validate_on_submit():
        survey = _attempt(form, lambda: services.create_survey(
            current_user, form.title.data, form.description.data, form.audience.data))
        if survey is not None:
            flash("Survey created. Now add its questions.", "success")
            return redirect(url_for(".survey", survey_id=survey.id))
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
    return _attempt(form, lambda: services.save_question(
        survey, current_user, question, kind=form.kind.data, prompt=form.prompt.data,
        help_text=form.help_text.data, required=form.required.data,
        options=(form.options.data or "").splitlines(), section_id=form.section_id.data or None))


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
        if _attempt(details, lambda: services.update_survey(
                survey, current_user, details.title.data, details.description.data, details.audience.data)):
            flash("Survey saved.", "success")
            return redirect(url_for(".survey", survey_id=survey.id))
    elif action == "section" and section_form.validate_on_submit():
        if _attempt(section_form, lambda: services.add_section(
                survey, current_user, section_form.title.data, section_form.description.data)):
            flash("Section added.", "success")
            return redirect(url_for(".survey", survey_id=survey.id))
    elif action == "question" and question_form.validate_on_submit():
        if _save_question(survey, question_form):
            flash("Question added.", "success")
            return redirect(url_for(".survey", survey_id=survey.id) + "#questions")
    elif action == "round" and round_form.validate_on_submit():
        made = _attempt(round_form, lambda: services.create_round(
            survey, current_user, round_form.name.data, from_pacific(round_form.opens_at.data),
            from_pacific(round_form.closes_at.data)))
        if made:
            flash("Round created. Open it to invite people.", "success")
            return redirect(url_for(".round_page", round_id=made.id))
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
        if _attempt(None, lambda: services.delete_question(question, current_user) or True):
            flash("Question deleted.", "success")
    else:
        _attempt(None, lambda: services.move_question(question, current_user, -1 if action == "up" else 1))
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
        invited = _attempt(None, lambda: services.open_round(survey_round, current_user))
        if invited is not None:
            flash(f"The round is open; {invited} people were invited by e-mail.", "success")
    elif action == "invite":
        invited = _attempt(None, lambda: services.invite(survey_round))
        if invited is not None:
            flash(f"{invited} more people were invited." if invited else "Everyone is invited already.", "success")
    else:
        _attempt(None, lambda: services.close_round(survey_round, current_user))
        flash("The round is closed. Its results are now visible to members.", "success")
    return redirect(url_for(".round_page", round_id=round_id))
