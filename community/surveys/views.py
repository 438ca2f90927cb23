"""Survey pages for county staff: the rounds waiting for them, answering, and results."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..charts import bar_chart
from ..extensions import db
from ..inputs import shown_json
from ..permissions import NotAllowed, can, require
from ..vocabulary import IMPLEMENTATION_STAGES
from . import bp, charts, results, services
from .models import OPEN, Round


def _round_or_404(round_id):
    survey_round = db.session.get(Round, round_id)
    if survey_round is None or survey_round.status not in (OPEN, "closed"):
        abort(404)
    return survey_round


@bp.get("/")
@login_required
def index():
    return render_template("surveys/index.html", rounds=services.rounds_for(current_user))


@bp.get("/i/<token>")
def invitation(token):
    """The personal link from an invitation: straight to the answer page, once signed in as its owner."""
    found = services.invitation_for_token(token)
    if found is None:
        abort(404)
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in", next=request.path))
    if found.user_id != current_user.id:
        abort(404)
    return redirect(url_for(".respond", round_id=found.round_id))


@bp.route("/rounds/<int:round_id>", methods=["GET", "POST"])
@login_required
def respond(round_id):
    survey_round = _round_or_404(round_id)
    try:
        response = services.response_for(survey_round, current_user)
    except NotAllowed:
        abort(404)
    errors, values, needs_confirmation = {}, response.values() if response else {}, False
    if request.method == "POST":
        submit = request.form.get("action") == "submit"
        try:
            services.save_answers(response, current_user, request.form, submit=submit,
                                  confirmed=request.form.get("not_client_data") == "1", survey_round=survey_round,
                                  shown=request.form.get("shown"))
            db.session.commit()
            flash("Thank you: your answers are submitted. You can change them until the round closes."
                  if submit else "Saved. Come back to finish at any time before the round closes.", "success")
            return redirect(url_for(".respond", round_id=round_id))
        except services.AnswersInvalid as problem:
            db.session.rollback()
            errors, needs_confirmation = problem.errors, problem.needs_confirmation
            values, _ = services.parse_answers(survey_round.survey, request.form)
        except services.SurveyError as problem:
            db.session.rollback()
            flash(str(problem), "error")
            return redirect(url_for(".respond", round_id=round_id))
    status = 422 if errors else 200
    shown = request.form.get("shown") if request.method == "POST" else shown_json(values)
    return render_template("surveys/respond.html", survey_round=survey_round, survey=survey_round.survey,
                           response=response, values=values, errors=errors, stages=IMPLEMENTATION_STAGES, shown=shown,
                           needs_confirmation=needs_confirmation, preview=False), status


def _results_round(round_id):
    survey_round = _round_or_404(round_id)
    if not (can(current_user, "organize") or (survey_round.is_closed and can(current_user, "view_members"))):
        abort(404)
    return survey_round


@bp.get("/rounds/<int:round_id>/results")
@login_required
def round_results(round_id):
    survey_round = _results_round(round_id)
    county_id = request.args.get("county", type=int) if can(current_user, "organize") else None
    shown = results.round_results(survey_round, current_user, county_id)
    earlier_rounds = [r for r in survey_round.survey.rounds  # results that may be seen, as above
                      if r.id != survey_round.id and r.opens_at < survey_round.opens_at and r.status != "draft"
                      and (r.is_closed or can(current_user, "organize"))]
    comparison, earlier = None, None
    if earlier_rounds:
        earlier = earlier_rounds[0]
        comparison = results.compare(results.round_results(earlier, current_user, county_id), shown)
    stages = results.stage_by_county(survey_round)
    figure = {r.question.id: bar_chart(f"chart-{r.question.id}", r.question.prompt, r.bars)
              for r in shown.questions if r.bars and not r.suppressed}
    return render_template(
        "surveys/results.html", survey_round=survey_round, survey=survey_round.survey, shown=shown,
        figure=figure, comparison=comparison, earlier=earlier, stages=stages,
        stage_labels=dict(IMPLEMENTATION_STAGES), legend=charts.stage_legend(),
        county_map=charts.county_map("county-map", f"Implementation stage by county, {survey_round.name}", stages)
        if stages else None, suppressed_label=results.SUPPRESSED, min_group=results.MIN_GROUP)


@bp.get("/rounds/<int:round_id>/results.csv")
@login_required
def results_csv(round_id):
    survey_round = _results_round(round_id)
    require("organize")
    shown = results.round_results(survey_round, current_user)
    name = f"survey-{survey_round.survey_id}-round-{survey_round.id}-results.csv"
    return Response(results.results_csv(shown), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
