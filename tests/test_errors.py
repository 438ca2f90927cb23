"""Domain errors (`community.errors`): one helper for views, and clear answers when one escapes."""
import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select

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
