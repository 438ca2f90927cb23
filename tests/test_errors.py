"""Domain errors (`community.errors`): one helper for views, and clear answers when one escapes."""
import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.errors import DomainError, NotAllowed, attempt
from community.extensions import db
from community.inputs import Form
from community.permissions import NotAllowed as NotAllowedFromPermissions
from newsletters.models import Subscriber
from wtforms import StringField


class _NameForm(Form):
    name = StringField("Name")


def test_permissions_still_exports_not_allowed():
    assert NotAllowedFromPermissions is NotAllowed


def test_attempt_commits_and_flashes_on_success(app):
    with app.test_request_context("/", method="POST"):
        outcome = attempt(lambda: db.session.add(Subscriber(email="a@county.example.gov")) or 7,
                          success=lambda result: f"Done {result}.")
        assert outcome and outcome.result == 7
        assert get_flashed_messages(with_categories=True) == [("success", "Done 7.")]
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 1


def test_attempt_rolls_back_and_puts_the_message_on_the_named_field(app):
    def refuse():
        db.session.add(Subscriber(email="b@county.example.gov"))
        db.session.flush()
        raise DomainError("That name is taken.", "name")

    with app.test_request_context("/", method="POST", data={"name": "Kern"}):
        form = _NameForm(meta={"csrf": False})
        form.validate()
        outcome = attempt(refuse, form=form)
        assert not outcome and form.name.errors == ["That name is taken."]
        assert get_flashed_messages() == []
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_attempt_flashes_a_message_that_names_no_field_of_the_form(app):
    with app.test_request_context("/", method="POST"):
        outcome = attempt(lambda: (_ for _ in ()).throw(DomainError("Already sent.")))
        assert not outcome and get_flashed_messages(with_categories=True) == [("error", "Already sent.")]


def test_attempt_lets_not_allowed_through_to_the_app_handler(app):
    with app.test_request_context("/"), pytest.raises(NotAllowed):
        attempt(lambda: (_ for _ in ()).throw(NotAllowed("No.")))


@pytest.mark.parametrize("error, status", [(DomainError("The issue was already sent."), 400),
                                           (NotAllowed("Only organizers do that."), 403)])
def test_an_error_escaping_a_view_is_a_clear_4xx_with_its_message(app_factory, error, status):
    application = app_factory()

    def boom():
        raise error

    application.add_url_rule("/boom", "boom", boom)
    response = application.test_client().get("/boom")
    assert response.status_code == status
    assert str(error) in response.get_data(as_text=True)


def test_a_form_that_lost_a_race_on_a_unique_row_is_answered_again_once(app_factory):
    """The second of two identical sign-ups inserts the same address the first just committed:
    the database refuses it, nothing of it is kept, and the request is answered again — finding
    the address there now. A conflict that keeps coming back, or one on a page read, is an error."""
    application = app_factory(PROPAGATE_EXCEPTIONS=False)
    runs = []

    def sign_up():
        runs.append(1)
        if len(runs) == 1:  # found nothing; meanwhile the other request commits the same address
            with application.app_context():
                db.session.add(Subscriber(email="twin@kern.example.gov", name="Twin"))
                db.session.commit()
            db.session.add(Subscriber(email="twin@kern.example.gov", name="Twin"))
            db.session.commit()
            return "signed up"
        found = db.session.scalar(select(Subscriber).where(Subscriber.email == "twin@kern.example.gov"))
        return "already on the list" if found else "signed up"

    def always_conflicts():
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    application.add_url_rule("/race", "race", sign_up, methods=["POST"])
    application.add_url_rule("/conflict", "conflict", always_conflicts, methods=["GET", "POST"])
    client = application.test_client()
    response = client.post("/race")
    assert (response.status_code, response.get_data(as_text=True), len(runs)) == (200, "already on the list", 2)
    with application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 1
    assert client.post("/conflict").status_code == 500
    assert client.get("/conflict").status_code == 500


def test_a_request_that_loses_three_races_in_a_row_is_still_answered(app_factory):
    """Namesakes at once: each answer again may lose to another namesake's commit."""
    application = app_factory(PROPAGATE_EXCEPTIONS=False)
    runs = []

    def conflicts_three_times():
        runs.append(1)
        if len(runs) <= 3:
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        return "saved"

    application.add_url_rule("/namesake", "namesake", conflicts_three_times, methods=["POST"])
    response = application.test_client().post("/namesake")
    assert (response.status_code, response.get_data(as_text=True), len(runs)) == (200, "saved", 4)


def test_a_request_that_committed_before_its_conflict_is_not_answered_again(app_factory):
    application = app_factory(PROPAGATE_EXCEPTIONS=False)
    runs = []

    def two_steps():
        runs.append(1)
        db.session.add(Subscriber(email=f"step{len(runs)}@kern.example.gov", name="First step"))
        db.session.commit()
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    application.add_url_rule("/two-steps", "two_steps", two_steps, methods=["POST"])
    assert application.test_client().post("/two-steps").status_code == 500
    assert len(runs) == 1  # its first step is not done twice


def test_a_request_that_used_a_savepoint_before_its_conflict_is_answered_again(app_factory):
    """A savepoint (`begin_nested`, as a county's first survey answers take) is no commit."""
    application = app_factory(PROPAGATE_EXCEPTIONS=False)
    runs = []

    def savepoint_then_conflict():
        runs.append(1)
        with db.session.begin_nested():
            db.session.add(Subscriber(email=f"try{len(runs)}@kern.example.gov", name="Try"))
        if len(runs) == 1:
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        db.session.commit()
        return "saved"

    application.add_url_rule("/savepoint", "savepoint", savepoint_then_conflict, methods=["POST"])
    response = application.test_client().post("/savepoint")
    assert (response.status_code, response.get_data(as_text=True), len(runs)) == (200, "saved", 2)
