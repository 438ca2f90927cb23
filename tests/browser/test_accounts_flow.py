"""A person's first steps, in Chromium: ask for an account, get approved, sign in, reset a password.

Every page on the way is checked with axe-core and the Nu HTML Checker.
"""
import re

import pytest

from community.accounts.models import User
from community.extensions import db
from tests.conftest import text_of

pytestmark = pytest.mark.browser


def _link_in_mail(outbox, address, fragment):
    message = outbox.to(address)[-1]
    url = next(w for w in text_of(message).split() if fragment in w)
    return re.sub(r"^https?://[^/]+", "", url)


def test_request_approve_and_set_a_password(page, live_server, check_page, make_user, outbox):
    with live_server.app.app_context():
        make_user(role="admin", name="Dana Whitfield", email="admin@linkages.example.org")

    page.goto("/")
    check_page(page, "landing")
    page.get_by_role("link", name="Request an account").first.click()
    check_page(page, "request-account")
    page.get_by_label("Full name").fill("Jordan Ellis")
    page.get_by_label("Work e-mail").fill("jordan.ellis@placer.example.gov")
    page.get_by_label("County").select_option(label="Placer County")
    page.get_by_label("Program").select_option(label="CalWORKs / Welfare-to-Work")
    page.get_by_label("Job title").fill("Employment Specialist")
    page.get_by_role("button", name="Send request").click()
    page.get_by_role("heading", name="Thank you, your request is on its way").wait_for()
    check_page(page, "request-sent")

    page.goto("/sign-in")
    check_page(page, "sign-in")
    page.get_by_label("E-mail").fill("admin@linkages.example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Welcome, Dana").wait_for()
    check_page(page, "home")
    page.get_by_role("link", name="Admin").click()
    check_page(page, "admin-people")
    page.get_by_role("button", name="Approve Jordan Ellis").click()
    page.get_by_text("Jordan Ellis is approved").wait_for()
    page.goto("/admin/invite")
    check_page(page, "admin-invite")
    page.goto("/admin/audit")
    check_page(page, "admin-audit")
    page.get_by_role("button", name="Sign out").click()

    with live_server.app.app_context():
        welcome = _link_in_mail(outbox, "jordan.ellis@placer.example.gov", "/welcome/")
    page.goto(welcome)
    check_page(page, "welcome")
    page.get_by_label("New password", exact=True).fill("placer county pilot")
    page.get_by_label("Repeat the new password").fill("placer county pilot")
    page.get_by_role("button", name="Save password").click()
    page.get_by_role("heading", name="Welcome, Jordan").wait_for()
    page.get_by_role("link", name="Jordan Ellis").first.click()
    check_page(page, "profile")
    page.get_by_role("link", name="Edit your profile").click()
    check_page(page, "edit-profile")
    page.goto("/people")
    check_page(page, "people")


def test_forgotten_password_reset_by_email(page, live_server, check_page, make_user, outbox):
    with live_server.app.app_context():
        user = make_user(name="Maria Lopez", email="maria.lopez@stanislaus.example.gov")
        email = user.email

    page.goto("/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    check_page(page, "forgot-password")
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Send the link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    check_page(page, "reset-sent")

    with live_server.app.app_context():
        reset = _link_in_mail(outbox, email, "/password/reset/")
    page.goto(reset)
    check_page(page, "reset-password")
    page.get_by_label("New password", exact=True).fill("too short")
    page.get_by_label("Repeat the new password").fill("too short")
    page.get_by_role("button", name="Save password").click()
    page.get_by_text("Use at least 10 characters.").first.wait_for()
    check_page(page, "reset-password-error")
    page.get_by_label("New password", exact=True).fill("stanislaus linkages 2026")
    page.get_by_label("Repeat the new password").fill("stanislaus linkages 2026")
    page.get_by_role("button", name="Save password").click()
    page.get_by_role("heading", name="Welcome, Maria").wait_for()
    page.goto(reset)
    page.get_by_role("heading", name="This link no longer works").wait_for()
    check_page(page, "link-expired")

    page.goto("/account/password")
    check_page(page, "change-password")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("E-mail").fill(email) if page.url.endswith("/sign-in") else page.goto("/sign-in")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("wrong password here")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("do not match an active account").first.wait_for()
    check_page(page, "sign-in-error")
    with live_server.app.app_context():
        assert db.session.scalar(User.by_email(email)).check_password("stanislaus linkages 2026")
