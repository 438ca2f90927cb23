"""Untrusted input (`community.inputs`): control characters, bytes that are not UTF-8, huge ids, far dates."""
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from community.accounts.models import User
from community.convenings import services as events
from community.convenings.models import Event, EventError
from community.extensions import db
from community.forums.models import Post, Thread
from community.inputs import Form
from newsletters.models import Issue, Subscriber

ROOT = Path(__file__).resolve().parent.parent


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("path, data, kept", [
    ("/newsletter/subscribe", {"email": "maria.lopez@stanislaus.example.gov", "name": "Maria\x00 Lopez"},
     'value="Maria Lopez"'),
    ("/request-account", {"name": "Jordan\x00 Ellis", "email": "jordan.ellis@placer.example.gov",
                          "program": "calworks", "title": "Employment Specialist", "reason": "Pilot"},
     'value="Jordan Ellis"'),
    ("/sign-in", {"email": "maria\x00@stanislaus.example.gov", "password": "x"},
     'value="maria@stanislaus.example.gov"'),
])
def test_nul_in_a_public_form_is_refused_on_its_field_and_the_rest_of_the_text_is_kept(client, path, data, kept):
    people, subscribers = _count(User), _count(Subscriber)
    response = client.post(path, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert "invisible control characters (such as NUL)" in page and kept in page
    assert (_count(User), _count(Subscriber)) == (people, subscribers)


def test_control_characters_in_a_thread_body_are_refused_and_nothing_is_posted(client, sign_in, make_user):
    from community.clusters.models import Cluster, ClusterMembership

    member = make_user()
    cluster = Cluster(slug="data-evaluation", name="Data & Evaluation", is_open=True)
    db.session.add(cluster)
    db.session.add(ClusterMembership(cluster=cluster, user=member))
    db.session.commit()
    sign_in(member)
    response = client.post("/clusters/data-evaluation/new", data={
        "title": "Outcome measures", "body": "Which \x00measures\x1b[31m do you track?"})
    page = response.get_data(as_text=True)
    assert "invisible control characters" in page and "Which measures[31m do you track?" in page
    assert _count(Thread) == 0 and _count(Post) == 0


def test_a_name_disguised_with_bidirectional_overrides_is_refused_and_shown_without_them(client, sign_in, make_user):
    from community.accounts.models import User

    member = make_user(name="Luis Ramirez")
    sign_in(member)
    response = client.post("/account/profile", data={"name": "Luis \u202egnp.exe\u202c Ramirez",
                                                     "title": "Analyst \u2067x\u2069", "bio": ""})
    page = response.get_data(as_text=True)
    assert "invisible control characters" in page and "Luis gnp.exe Ramirez" in page
    assert "\u202e" not in page and "\u2067" not in page
    db.session.expire_all()
    assert db.session.get(User, member.id).name == "Luis Ramirez"


def test_an_event_title_with_nul_is_refused_and_no_event_is_made(client, sign_in, make_user):
    sign_in(make_user(role="organizer"))
    response = client.post("/events/new", data={
        "title": "Clinical\x00 Academy", "kind": "training", "start_at": "2027-03-09T09:00",
        "end_at": "2027-03-09T12:00", "visibility": "members"})
    assert "invisible control characters" in response.get_data(as_text=True)
    assert _count(Event) == 0


def test_an_issue_subject_with_nul_is_refused(client, sign_in, make_user):
    sign_in(make_user(role="organizer"))
    response = client.post("/newsletters/manage", data={"subject": "Winter\x00 issue"})
    assert "invisible control characters" in response.get_data(as_text=True)
    assert _count(Issue) == 0


@pytest.mark.parametrize("path", ["/t/2147483648", "/t/99999999999999999999999", "/t/" + "9" * 5000,
                                  "/library/9223372036854775808", "/events/99999999999/register",
                                  "/p/2147483648/edit", "/newsletter/99999999999/web.html"])
def test_ids_beyond_any_stored_id_are_404(client, path):
    assert client.get(path).status_code == 404


def test_path_segments_with_control_characters_are_404(client):
    assert client.get("/clusters/family%00engagement").status_code == 404
    assert client.get("/people/a%01b").status_code in (302, 404)  # members only: sign in first


def test_huge_page_numbers_and_ids_in_query_strings_count_as_absent(client):
    assert client.get("/library/?page=99999999999999999999").status_code == 200
    assert client.get("/events/?cluster=99999999999999999999").status_code == 200
    assert client.get("/newsletter?page=" + "9" * 5000).status_code == 200


def test_query_strings_lose_control_characters(app, client):
    with app.test_request_context("/search?q=fiscal%00plan%1b"):
        from flask import request

        assert request.args["q"] == "fiscalplan" and request.args.cleaned == {"q"}


def test_form_bytes_that_are_not_utf8_get_a_clear_400_before_the_csrf_check(app_factory):
    client = app_factory(WTF_CSRF_ENABLED=True).test_client()
    for body in (b"email=a%40b.org&name=Jos\xe9", b"email=a%40b.org&name=%ED%A0%80"):
        response = client.post("/newsletter/subscribe", data=body,
                               content_type="application/x-www-form-urlencoded")
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "could not be read (not UTF-8)" in page and "expired" not in page


def test_multipart_fields_that_are_not_utf8_get_the_same_400(client, sign_in, make_user):
    sign_in(make_user())
    body = (b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nMOU \xff\r\n--b--\r\n')
    response = client.post("/library/new", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400 and "not UTF-8" in response.get_data(as_text=True)


def test_a_replacement_character_someone_typed_in_a_multipart_form_is_just_a_character(
        client, sign_in, make_user):
    sign_in(make_user())
    summary = "Summary pasted from a PDF with a \ufffd in it"
    body = ('--b\r\nContent-Disposition: form-data; name="summary"\r\n\r\n' + summary + "\r\n--b--\r\n").encode()
    response = client.post("/library/new", data=body, content_type="multipart/form-data; boundary=b")
    page = response.get_data(as_text=True)
    assert response.status_code != 400 and "not UTF-8" not in page
    assert summary in page  # refused for the missing title and file, with what was typed kept


def test_a_query_string_that_is_not_utf8_gets_a_clear_400(client):
    response = client.get("/search", environ_overrides={"QUERY_STRING": "q=caf\xe9"})
    assert response.status_code == 400 and "not UTF-8" in response.get_data(as_text=True)


def test_json_bodies_lose_control_characters_and_lone_surrogates(client):
    response = client.post("/newsletter/subscribe", data='{"email": "grace.kim@sandiego.example.gov", '
                           '"name": "Grace\\u0000 Kim\\ud800"}', content_type="application/json")
    assert response.status_code < 500
    subscriber = db.session.scalar(select(Subscriber))
    assert subscriber is None or subscriber.name == "Grace Kim"


@pytest.mark.parametrize("start", ["9999-12-31T20:00", "0001-01-01T00:00", "2201-01-01T09:00"])
def test_event_dates_far_from_now_are_refused_with_a_clear_message(client, sign_in, make_user, start):
    sign_in(make_user(role="organizer"))
    response = client.post("/events/new", data={
        "title": "Far convening", "kind": "convening", "start_at": start,
        "end_at": "9999-12-31T23:00", "visibility": "members"})
    assert response.status_code == 200
    assert "Choose a date between the years 1900 and 2200." in response.get_data(as_text=True)
    assert _count(Event) == 0


def test_a_registration_window_that_closes_before_it_opens_is_refused_on_the_closing_field(
        client, sign_in, make_user):
    sign_in(make_user(role="organizer"))
    response = client.post("/events/new", data={
        "title": "Spring convening", "kind": "convening", "start_at": "2027-04-20T09:00",
        "end_at": "2027-04-20T16:00", "visibility": "members", "registration_enabled": "y",
        "registration_opens_at": "2027-03-01T09:00", "registration_closes_at": "2027-02-01T09:00"})
    page = response.get_data(as_text=True)
    assert "Registration must close after it opens" in page
    assert 'id="registration_closes_at-error"' in page
    assert _count(Event) == 0


def test_the_event_service_refuses_a_registration_window_that_never_opens(app, make_user):
    from datetime import datetime

    organizer = make_user(role="organizer")
    with pytest.raises(EventError) as refused:
        events.create_event(organizer, kind="webinar", title="Webinar", visibility="public",
                            start_at=datetime(2027, 5, 1, 17), end_at=datetime(2027, 5, 1, 18),
                            registration_opens_at=datetime(2027, 4, 1),
                            registration_closes_at=datetime(2027, 4, 1))
    assert refused.value.field == "registration_closes_at"


def test_every_form_of_the_app_uses_the_core_form(app):
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.split(".")[0] in ("community", "newsletters")]
    assert len(ours) > 20
    assert [c.__qualname__ for c in ours if not issubclass(c, Form)] == []


def test_search_index_dir_is_read_from_the_environment(tmp_path):
    wanted = tmp_path / "elsewhere" / "index"
    environment = dict(os.environ, SEARCH_INDEX_DIR=str(wanted), INSTANCE_PATH=str(tmp_path / "instance"),
                       DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    script = ("from community import create_app\nfrom community.search import engine\n"
              "app = create_app()\nprint(app.config['SEARCH_INDEX_DIR'])\n"
              "print(engine.index_dir(app))\n")
    result = subprocess.run([sys.executable, "-c", script], env=environment, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(wanted), str(wanted)]


def test_the_quick_select_writes_exactly_the_html_of_wtforms_select():
    from wtforms import Form as PlainForm
    from wtforms import SelectField
    from wtforms.fields.choices import SelectChoice
    from wtforms.widgets import Select

    from community.inputs import QuickSelect

    class Plain(PlainForm):
        flat = SelectField(coerce=str, choices=[
            (1, "a<b"), (2, "B & c"), ('x"y', "q"), (True, "t"), (0, ""), ("", "None"),
            ("kw", "With attributes", {"disabled": True})])
        grouped = SelectField(coerce=str, choices=[SelectChoice("a", "Alpine", optgroup="North"),
                                                   SelectChoice("b", "Kern", optgroup="South <")])

    form = Plain(data={"flat": "2", "grouped": "b"})
    for field in (form.flat, form.grouped):
        assert QuickSelect()(field) == Select()(field)
        assert QuickSelect()(field, **{"aria-invalid": "true"}) == Select()(field, **{"aria-invalid": "true"})


_ATTRIBUTE_NAMES = st.sampled_from(["class_", "id", "rows", "placeholder", "data_shown_value", "aria_describedby",
                                     "aria-invalid", "required", "disabled", "for_", "autocomplete", "data-x"])
_ATTRIBUTE_VALUES = st.one_of(st.booleans(), st.integers(), st.text(max_size=12),
                              st.text(max_size=12).map(Markup), st.sampled_from(['a"b', "<x>", "&amp;", "é"]))


@settings(max_examples=200, deadline=None)
@given(values=st.dictionaries(_ATTRIBUTE_NAMES, _ATTRIBUTE_VALUES, max_size=5))
def test_the_quick_attributes_are_wtforms_html_params_to_the_character(values):
    from wtforms.widgets import html_params

    from community.inputs import attributes

    assert attributes(**values) == html_params(**values)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=40), values=st.dictionaries(_ATTRIBUTE_NAMES, _ATTRIBUTE_VALUES, max_size=3),
       required=st.booleans(), limit=st.sampled_from([None, 5, 5000]),
       choices=st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=4, unique_by=lambda c: c[0]))
def test_the_quick_text_area_and_select_write_exactly_the_html_of_wtforms(text, values, required, limit, choices):
    from wtforms import Form as PlainForm
    from wtforms import SelectField, TextAreaField
    from wtforms.validators import DataRequired, Length, Optional
    from wtforms.widgets import Select, TextArea

    from community.inputs import QuickSelect, QuickTextArea

    checks = [DataRequired() if required else Optional(), *([Length(max=limit)] if limit else [])]

    class Plain(PlainForm):
        body = TextAreaField(validators=checks)
        pick = SelectField(choices=choices, validators=checks)

    form = Plain(data={"body": text, "pick": choices[0][0] if choices else None})
    assert QuickTextArea()(form.body, **values) == TextArea()(form.body, **values)
    assert QuickSelect()(form.pick, **values) == Select()(form.pick, **values)
    assert QuickSelect(multiple=True)(form.pick, **values) == Select(multiple=True)(form.pick, **values)


def test_every_form_renders_its_text_areas_with_the_quick_text_area(app):
    from wtforms import TextAreaField

    from community.inputs import Form, QuickTextArea

    class Written(Form):
        body = TextAreaField()

    with app.test_request_context():
        assert isinstance(Written(meta={"csrf": False}).body.widget, QuickTextArea)


def test_every_form_renders_its_select_fields_with_the_quick_select(app):
    from wtforms import SelectField

    from community.inputs import Form, QuickSelect

    class Picked(Form):
        county = SelectField(choices=[(1, "Alpine")])

    with app.test_request_context():
        assert isinstance(Picked(meta={"csrf": False}).county.widget, QuickSelect)


@pytest.mark.parametrize("field", ["repeats", "cluster_id"])
@pytest.mark.parametrize("blank", ["   ", "\t"])
def test_a_choice_of_spaces_is_refused_on_its_field_and_no_event_is_made(client, sign_in, make_user, field, blank):
    sign_in(make_user(role="organizer"))
    response = client.post("/events/new", data={
        "title": "Cluster call", "kind": "webinar", "start_at": "2027-03-01T10:00",
        "end_at": "2027-03-01T11:00", "visibility": "members", field: blank})
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 422) and "Not a valid choice." in page
    assert f'id="{field}-error"' in page and 'value="Cluster call"' in page
    assert _count(Event) == 0


def test_one_line_text_is_kept_without_the_spaces_around_it(client):
    response = client.post("/request-account", data={
        "name": "  Ana Ruiz ", "email": " Ana.Ruiz@Kern.Example.gov ", "program": "cws", "title": " Analyst "})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    person = db.session.scalar(select(User).where(User.email == "ana.ruiz@kern.example.gov"))
    assert (person.name, person.title) == ("Ana Ruiz", "Analyst")


def test_a_link_of_spaces_is_no_link(client, sign_in, make_user):
    organizer = make_user(role="organizer")
    event = events.create_event(organizer, title="Data & Evaluation webinar", kind="webinar",
                                start_at=datetime(2026, 1, 10, 18), end_at=datetime(2026, 1, 10, 19),
                                visibility="public")
    db.session.commit()
    sign_in(organizer)
    response = client.post(f"/events/{event.id}/materials", data={"recording-recording_url": "   \t "})
    assert response.status_code < 500
    assert db.session.get(Event, event.id).recording_url == ""
    assert "Watch the recording" not in client.get(f"/events/{event.id}").get_data(as_text=True)


@pytest.mark.parametrize("field, value, message", [
    ("registration_closes_at", "2027-04-01T10:00", "Registration must close by the time the event ends."),
    ("registration_opens_at", "2027-03-02T09:00", "Registration would open after the event is over"),
])
def test_a_registration_window_after_the_event_is_refused_on_its_field(client, sign_in, make_user, field, value,
                                                                        message):
    sign_in(make_user(role="organizer"))
    response = client.post("/events/new", data={
        "title": "Clinical Academy", "kind": "webinar", "start_at": "2027-03-01T10:00",
        "end_at": "2027-03-01T11:00", "visibility": "members", "registration_enabled": "y", field: value})
    page = response.get_data(as_text=True)
    assert message in page and f'id="{field}-error"' in page
    assert _count(Event) == 0
