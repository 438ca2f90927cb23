"""Topics: subscribers choose what they receive; an issue with topics goes only to those who chose
one of them, an issue without to everyone; unsubscribing still works in one click."""
import re
from urllib.parse import urlparse

from sqlalchemy import select

from community import jobs
from community.extensions import db
from newsletters import services
from newsletters.models import ALL_TOPICS, Delivery, Issue, Subscriber, topic_mask
from tests.conftest import text_of


def _path(url):
    return urlparse(url).path


def _readers(make_subscribers):
    """One reader per taste: webinars only, convenings and cluster news, nothing chosen, and a
    webinar fan who paused and one who left."""
    webinars, both, none, paused, gone = make_subscribers(5)
    webinars.choose_topics(["webinars"])
    both.choose_topics(["convenings", "clusters"])
    none.choose_topics([])
    paused.choose_topics(["webinars"])
    paused.pause()
    gone.choose_topics(["webinars"])
    services.unsubscribe(gone)
    db.session.commit()
    return webinars, both, none


def _ticked(page):
    return re.findall(r'<input checked[^>]*value="(\w+)"', page)


def _recipients(organizer, issue):
    services.send_issue_now(organizer, issue)
    db.session.commit()
    jobs.run_ready()
    return {d.subscriber.email for d in db.session.scalars(
        select(Delivery).where(Delivery.issue_id == issue.id, Delivery.status == "sent"))}


def test_everyone_starts_with_every_topic(app, make_subscribers):
    assert make_subscribers(1)[0].topics == ALL_TOPICS
    assert topic_mask(["webinars", "no-such-topic"]) == topic_mask(["webinars"])


def test_an_issue_with_topics_goes_only_to_confirmed_subscribers_who_chose_one_of_them(
        app, organizer, compose_issue, make_subscribers):
    webinars, both, _ = _readers(make_subscribers)
    issue = compose_issue(organizer)
    services.update_issue(organizer, issue, issue.subject, issue.preheader, issue.introduction,
                          topics=["webinars", "clusters"])
    assert services.recipients_label(issue) == "2 subscribers who chose Webinars or Cluster news"
    assert _recipients(organizer, issue) == {webinars.email, both.email}


def test_an_issue_without_topics_goes_to_every_confirmed_subscriber(
        app, organizer, compose_issue, make_subscribers):
    webinars, both, none = _readers(make_subscribers)
    issue = compose_issue(organizer)
    assert services.recipients_label(issue) == "3 confirmed subscribers"
    assert _recipients(organizer, issue) == {webinars.email, both.email, none.email}


def test_the_composer_saves_the_issues_topics_and_says_who_it_goes_to(
        client, sign_in, organizer, compose_issue, make_subscribers):
    _readers(make_subscribers)
    issue = compose_issue(organizer)
    sign_in(organizer)
    client.post(f"/newsletters/manage/{issue.id}", data={
        "subject": issue.subject, "topic_names": ["convenings"]})
    assert db.session.get(Issue, issue.id).topic_names == ["convenings"]
    page = client.get(f"/newsletters/manage/{issue.id}").get_data(as_text=True)
    assert "Send now to 1 subscriber who chose Convenings" in page
    assert _ticked(page) == ["convenings"]
    listing = client.get("/newsletters/manage").get_data(as_text=True)
    assert "For subscribers of Convenings" in listing


def test_a_member_cannot_change_an_issues_topics(client, sign_in, make_user, organizer,
                                                 compose_issue):
    issue = compose_issue(organizer)
    sign_in(make_user())
    response = client.post(f"/newsletters/manage/{issue.id}",
                           data={"subject": "Taken over", "topic_names": ["webinars"]})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Issue, issue.id).topics == 0


def test_a_visitor_chooses_topics_when_subscribing_and_on_the_preferences_page(app, client,
                                                                                 outbox):
    page = client.get("/newsletter/subscribe").get_data(as_text=True)
    assert _ticked(page) == ["convenings", "webinars", "resources", "clusters"]
    client.post("/newsletter/subscribe", data={"email": "ana@kern.example.gov", "name": "Ana",
                                               "topic_names": ["webinars", "resources"]})
    reader = db.session.scalar(Subscriber.by_email("ana@kern.example.gov"))
    assert reader.topic_names == ["webinars", "resources"]
    client.post(_path(next(w for w in text_of(outbox.to(reader.email)[-1]).split()
                           if "/newsletter/confirm/" in w)))
    url = _path(services.preferences_url(reader))
    page = client.get(url).get_data(as_text=True)
    assert _ticked(page) == ["webinars", "resources"]
    client.post(url, data={"name": "Ana", "county_id": 0, "topic_names": ["clusters"]})
    db.session.expire_all()
    assert reader.topic_names == ["clusters"] and reader.status == "confirmed"


def test_a_topic_that_does_not_exist_is_refused_with_a_message(app, client, make_subscribers):
    reader = make_subscribers(1)[0]
    url = _path(services.preferences_url(reader))
    page = client.post(url, data={"name": "R", "county_id": 0, "topic_names": ["lottery"]})
    assert "is not a valid choice" in page.get_data(as_text=True)
    db.session.expire_all()
    assert reader.topics == ALL_TOPICS


def test_one_click_unsubscribe_works_for_a_reader_of_a_targeted_issue(
        app, client, organizer, compose_issue, make_subscribers, outbox):
    webinars, _, _ = _readers(make_subscribers)
    issue = compose_issue(organizer)
    services.update_issue(organizer, issue, issue.subject, "", "", topics=["webinars"])
    _recipients(organizer, issue)
    [message] = outbox.to(webinars.email)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    response = client.post(_path(message["List-Unsubscribe"].strip("<>")),
                           data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    assert webinars.status == "unsubscribed"
