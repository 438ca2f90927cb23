"""Account pages: sign in and out, ask for an account, passwords, profiles and the people list."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from .. import guard, ui
from ..caching import whole_page
from ..extensions import db, limiter
from ..permissions import require
from ..security import safe_next
from ..vocabulary import PROGRAMS, ROLES
from . import bp, services
from .forms import (AccountRequestForm, ChangePasswordForm, ForgotPasswordForm, ProfileForm,
                    SetPasswordForm, SignInForm)
from .models import County, User, UserSession

PEOPLE_PER_PAGE = 30
#: The one answer to every failed sign-in: unknown address, wrong password, pending, locked.
SIGN_IN_REFUSED = ("That e-mail and password do not match an active account. After many failed "
                   "attempts an account is paused for a few minutes and its owner is e-mailed.")


def _limit(name):
    return lambda: current_app.config[name]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_SIGN_IN"), methods=["POST"])
@whole_page
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _sign_in_here(user)
            flash(f"Welcome back, {user.name.split()[0]}.", "success")
            return redirect(safe_next(form.next.data))
        db.session.commit()  # keeps the count of failed attempts for this account
        form.password.errors.append(SIGN_IN_REFUSED)
    return render_template("accounts/sign_in.html", form=form)


def _sign_in_here(user):
    """Open a server-side session for this browser and put its secret in the session cookie."""
    services.start_session(user, request.headers.get("User-Agent", ""))
    db.session.commit()
    login_user(user)


@bp.post("/sign-out")
def sign_out():
    if current_user.is_authenticated:
        services.end_session(current_user.session_token)
        db.session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("core.home"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/request-account", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_ACCOUNT_REQUEST"), methods=["POST"])
@whole_page
def request_account():
    form = AccountRequestForm()
    form.county_id.choices = services.county_choices()
    if form.validate_on_submit():
        try:
            services.request_account(form.name.data, form.email.data, form.county_id.data,
                                     form.program.data, form.title.data, form.note.data,
                                     form.guard_confirmed)
        except guard.GuardStopped as stopped:
            form.guard_findings = stopped.findings
        else:
            db.session.commit()
            return render_template("accounts/request_sent.html", email=form.email.data)
    return render_template("accounts/request_account.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_PASSWORD_RESET"), methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.start_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<secret>", methods=["GET", "POST"])
def reset_password(secret):
    return _set_password_page(secret, "reset")


@bp.route("/welcome/<secret>", methods=["GET", "POST"])
def accept_invitation(secret):
    return _set_password_page(secret, "invite")


def _set_password_page(secret, purpose):
    user = services.token_user(secret, purpose)
    if user is None:
        return render_template("accounts/link_expired.html", purpose=purpose), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.set_password_with_token(secret, purpose, form.password.data)
        except services.AccountError as error:
            form.password.errors.append(str(error))
        else:
            _sign_in_here(user)
            flash("Your password is set. You are signed in.", "success")
            return redirect(url_for("core.home"))
    return render_template("accounts/set_password.html", form=form, user=user, purpose=purpose)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except services.AccountError as error:
            field = form.current_password if "current" in str(error) else form.password
            field.errors.append(str(error))
        else:
            _sign_in_here(current_user._get_current_object())  # a new session here; every other one has ended
            flash("Your password is changed. You were signed out everywhere else.", "success")
            return redirect(url_for("accounts.profile", handle=current_user.handle))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, form.name.data, form.title.data or "",
                                    form.program.data, form.bio.data or "", form.guard_confirmed)
        except guard.GuardStopped as stopped:
            db.session.rollback()
            form.guard_findings = stopped.findings
        else:
            db.session.commit()
            flash("Your profile is saved.", "success")
            return redirect(url_for("accounts.profile", handle=current_user.handle))
    return render_template("accounts/edit_profile.html", form=form,
                           sessions=services.live_sessions(current_user),
                           this_session=UserSession.hash(current_user.session_token))


@bp.get("/people")
@login_required
def people():
    require("view_members")
    chosen = {key: request.args.get(key, "").strip()[:80] for key in ("county", "program", "role", "q")}
    query, county = services.directory(chosen["county"], chosen["program"], chosen["role"], chosen["q"])
    members = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PEOPLE_PER_PAGE,
                          error_out=False)
    counties = db.session.scalars(select(County).order_by(County.name)).all()
    return render_template("accounts/people.html", members=members, counties=counties, county=county,
                           chosen=chosen, programs=PROGRAMS, roles=ROLES)


@bp.get("/people/<handle>")
@login_required
def profile(handle):
    person = db.session.scalar(select(User).where(User.handle == handle))
    if person is None:
        abort(404)
    require("view", person, status=404)
    sections = ui.sections(current_app, "profile", person, current_user)
    return render_template("accounts/profile.html", person=person, sections=sections)
