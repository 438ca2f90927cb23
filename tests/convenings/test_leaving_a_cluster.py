"""Leaving a cluster ends access to its events (issue 9, leak 2).

The rule: when a membership ends (the person leaves, or a facilitator removes them), their
registrations for the cluster's cluster-only upcoming events end, the waitlist moves up, and they
get one short e-mail with no title, description or join link. Pages, feeds, reminders and notices
treat any registration left for an event they cannot see as not theirs.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from community.clusters.models import Cluster, ClusterMembership
from community.convenings import services
from community.convenings.models import EventRegistration
from community.extensions import db
from community.forums import services as forums
from community.timeutil import utcnow

from .conftest import commit, register

TITLE = "Quillbrook data huddle"
SUMMARY = "We compare the zephyrine extract before the state review."
JOIN = "https://meet.example.org/quillbrook-secret-room"


@pytest.fixture
def cluster_call(app, make_user, make_event, organizer):
    """A one-seat cluster-only webinar: the leaver holds the seat, a colleague waits for it."""
    cluster = Cluster(slug="data-evaluation", name="Data & Evaluation")
    db.session.add(cluster)
    db.session.commit()
    facilitator, leaver, waiting = (make_user(name="Maria Lopez"), make_user(name="Lee Leaver"),
                                    make_user(name="Wanda Waiting"))
    db.session.add_all([ClusterMembership(cluster=cluster, user=facilitator, role="facilitator"),
                        ClusterMembership(cluster=cluster, user=leaver),
                        ClusterMembership(cluster=cluster, user=waiting)])
    db.session.commit()
    event = make_event(title=TITLE, summary=SUMMARY, join_url=JOIN, visibility="clusters",
                       cluster_id=cluster.id, capacity=1,
                       start_at=utcnow().replace(second=0, microsecond=0) + timedelta(hours=12))
    public = make_event(title="Statewide Linkages webinar", visibility="public")
    seat = register(event, leaver)
    register(event, waiting)
    register(public, leaver)
    return {"cluster": cluster, "event": event, "public": public, "seat": seat,
            "facilitator": facilitator, "leaver": leaver, "waiting": waiting}


def _everything_in(message):
    """Headers and every text part of a message, as one string."""
    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.get_content_maintype() == "text" or part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True) or b""
            parts.append(payload.decode("utf-8", "replace"))
    return "\n".join(parts)


def _assert_no_private_detail(text):
    assert TITLE not in text and "Quillbrook" not in text
    assert "zephyrine" not in text and "quillbrook-secret-room" not in text


def _statuses(event):
    return {r.user_id: r.status for r in db.session.scalars(
        select(EventRegistration).where(EventRegistration.event_id == event.id))}


def test_leaving_ends_the_registration_and_the_first_waiting_member_gets_the_seat(cluster_call, outbox):
    outbox.clear()
    forums.leave_cluster(cluster_call["cluster"], cluster_call["leaver"])
    commit()
    assert _statuses(cluster_call["event"]) == {cluster_call["leaver"].id: "cancelled",
                                               cluster_call["waiting"].id: "registered"}
    promoted = outbox.to(cluster_call["waiting"].email)
    assert [m["Subject"] for m in promoted] == [f"A seat opened: you are registered: {TITLE}"]


def test_the_registrants_page_says_an_ended_registration_ended_because_access_did(
        cluster_call, organizer, client, sign_in):
    forums.leave_cluster(cluster_call["cluster"], cluster_call["leaver"])
    commit()
    sign_in(organizer)
    page = client.get(f"/events/{cluster_call['event'].id}/registrants").get_data(as_text=True)
    assert "ended: the event is no longer open to them" in page


def test_the_leavers_one_notice_carries_no_title_description_or_join_link(cluster_call, outbox):
    outbox.clear()
    forums.leave_cluster(cluster_call["cluster"], cluster_call["leaver"])
    commit()
    (notice,) = outbox.to(cluster_call["leaver"].email)
    text = _everything_in(notice)
    _assert_no_private_detail(text)
    assert "no longer a member of Data &amp; Evaluation" in text or "no longer a member of Data & Evaluation" in text
    assert "http://community.test/events/mine" in text
    assert not [p for p in notice.walk() if p.get_content_type() == "text/calendar"]


def test_registrations_for_public_events_survive_leaving(cluster_call):
    forums.leave_cluster(cluster_call["cluster"], cluster_call["leaver"])
    commit()
    assert _statuses(cluster_call["public"])[cluster_call["leaver"].id] == "registered"


def test_after_leaving_pages_and_the_personal_feed_show_nothing_of_the_event(cluster_call, client, sign_in):
    sign_in(cluster_call["leaver"])
    feed_page = client.get("/events/mine").get_data(as_text=True)
    assert TITLE in feed_page  # while a member, it is there
    feed_url = re.search(r'value="http://[^"]+(/events/feed/[^"]+\.ics)"', feed_page).group(1)
    assert TITLE in client.get(feed_url).get_data(as_text=True)

    client.post(f"/clusters/{cluster_call['cluster'].slug}/leave")
    mine = client.get("/events/mine").get_data(as_text=True)
    _assert_no_private_detail(mine)
    assert "Statewide Linkages webinar" in mine
    feed = client.get(feed_url).get_data(as_text=True)
    _assert_no_private_detail(feed)
    assert "Statewide Linkages webinar" in feed
    assert client.get(f"/events/registrations/{cluster_call['seat'].id}").status_code == 404
    assert client.get(f"/events/{cluster_call['event'].id}").status_code == 404


def test_a_facilitator_removing_a_member_ends_their_registrations_the_same_way(
        cluster_call, client, sign_in, outbox):
    outbox.clear()
    sign_in(cluster_call["facilitator"])
    response = client.post(f"/clusters/{cluster_call['cluster'].slug}/members/"
                           f"{cluster_call['leaver'].id}/remove")
    assert response.status_code == 302
    assert cluster_call["cluster"].membership_of(cluster_call["leaver"]) is None
    assert _statuses(cluster_call["event"])[cluster_call["leaver"].id] == "cancelled"
    assert _statuses(cluster_call["event"])[cluster_call["waiting"].id] == "registered"
    (notice,) = outbox.to(cluster_call["leaver"].email)
    _assert_no_private_detail(_everything_in(notice))


def test_an_ordinary_member_cannot_remove_anyone(cluster_call, client, sign_in):
    sign_in(cluster_call["waiting"])
    response = client.post(f"/clusters/{cluster_call['cluster'].slug}/members/"
                           f"{cluster_call['leaver'].id}/remove")
    assert response.status_code in (302, 403)
    assert cluster_call["cluster"].membership_of(cluster_call["leaver"]) is not None
    assert _statuses(cluster_call["event"])[cluster_call["leaver"].id] == "registered"


def test_an_organizer_who_manages_every_event_keeps_their_registration_when_leaving(
        cluster_call, make_user, outbox):
    staff = make_user(role="organizer", name="Olga Organizer")
    db.session.add(ClusterMembership(cluster=cluster_call["cluster"], user=staff))
    db.session.commit()
    registration = register(cluster_call["event"], staff)
    outbox.clear()
    forums.leave_cluster(cluster_call["cluster"], staff)
    commit()
    assert db.session.get(EventRegistration, registration.id).status == "waitlisted"
    assert outbox.to(staff.email) == []


@pytest.fixture
def leftover(cluster_call):
    """A registration left behind by a path that bypassed the rule (the membership row is gone)."""
    db.session.execute(delete(ClusterMembership).where(
        ClusterMembership.user_id == cluster_call["leaver"].id))
    db.session.commit()
    return cluster_call


def test_reminders_never_go_to_someone_who_can_no_longer_see_the_event(leftover, organizer, outbox):
    services.update_event(leftover["event"], organizer, capacity=2)  # the waiting member gets a seat
    commit()
    outbox.clear()
    assert services.send_reminders() == 1
    commit()
    assert outbox.to(leftover["leaver"].email) == []
    assert [m["Subject"].split(": ", 1)[1] for m in outbox.to(leftover["waiting"].email)] == [TITLE]


def test_update_notices_never_go_to_someone_who_can_no_longer_see_the_event(leftover, organizer, outbox):
    outbox.clear()
    services.update_event(leftover["event"], organizer, venue="Room 4", join_url=JOIN + "-new")
    commit()
    assert outbox.to(leftover["leaver"].email) == []
    assert [m["Subject"] for m in outbox.to(leftover["waiting"].email)] == [f"Updated: {TITLE}"]


def test_a_notice_queued_while_the_person_could_see_the_event_is_not_sent_after_they_left(
        cluster_call, organizer, outbox):
    outbox.clear()
    services.update_event(cluster_call["event"], organizer, venue="Room 4", join_url=JOIN + "-new")
    # The membership ends (on another node, or by a path that bypassed the rule) before the
    # job that sends the notice runs: the job asks the permission policy again.
    db.session.execute(delete(ClusterMembership).where(
        ClusterMembership.user_id == cluster_call["leaver"].id))
    commit()
    assert outbox.to(cluster_call["leaver"].email) == []
    assert [m["Subject"] for m in outbox.to(cluster_call["waiting"].email)] == [f"Updated: {TITLE}"]


def test_event_mail_is_queued_as_ids_and_rendered_by_the_job(cluster_call, organizer, outbox):
    outbox.clear()
    services.update_event(cluster_call["event"], organizer, venue="Room 4")
    queued = db.session.info.get("pending_jobs", [])
    assert {path for path, _, _ in queued} >= {"community.convenings.services.notices:send_notice"}
    assert "community.mail:deliver" not in {path for path, _, _ in queued}  # nothing rendered yet
    notices = [args for path, args, _ in queued if path.endswith(":send_notice")]
    assert sorted(args[0] for args in notices) == sorted(
        r.id for r in db.session.scalars(select(EventRegistration).where(
            EventRegistration.event_id == cluster_call["event"].id,
            EventRegistration.status.in_(("registered", "waitlisted")))))
    assert all(isinstance(args[0], int) and args[1] == "changed" for args in notices)
    commit()
    assert len(outbox.messages()) == 2


def test_a_leftover_registration_is_not_the_persons_anywhere(leftover, client, sign_in):
    sign_in(leftover["leaver"])
    _assert_no_private_detail(client.get("/events/mine").get_data(as_text=True))
    assert client.get(f"/events/registrations/{leftover['seat'].id}").status_code == 404
    assert client.post(f"/events/registrations/{leftover['seat'].id}/cancel").status_code == 404


def test_making_an_event_cluster_only_ends_outsiders_registrations_with_the_neutral_notice(
        app, make_event, make_user, organizer, outbox):
    cluster = Cluster(slug="fiscal", name="Fiscal & Sustainability")
    db.session.add(cluster)
    db.session.commit()
    outsider = make_user(name="Luis Ramirez")
    event = make_event(title="Budget call", visibility="members", join_url=JOIN)
    register(event, outsider)
    outbox.clear()
    services.update_event(event, organizer, visibility="clusters", cluster_id=cluster.id,
                          title=TITLE)
    commit()
    assert _statuses(event) == {outsider.id: "cancelled"}
    (notice,) = outbox.to(outsider.email)
    text = _everything_in(notice)
    _assert_no_private_detail(text)
    assert "Budget call" not in text and "no longer open to you" in text


def test_the_notice_received_over_smtp_names_no_event(app_factory, smtp_server, make_user):
    """The bytes a mail server receives: the neutral notice, and no reminder afterwards."""
    from email import message_from_bytes, policy

    from community import jobs

    application = app_factory(MAIL_URL=smtp_server.url)
    with application.app_context():
        cluster = Cluster(slug="data-evaluation", name="Data & Evaluation")
        db.session.add(cluster)
        db.session.commit()
        staff = make_user(role="organizer", name="Renee Okafor")
        leaver = make_user(name="Lee Leaver")
        db.session.add(ClusterMembership(cluster=cluster, user=leaver))
        db.session.commit()
        start = utcnow().replace(second=0, microsecond=0) + timedelta(hours=12)
        event = services.create_event(staff, kind="webinar", title=TITLE, summary=SUMMARY,
                                      join_url=JOIN, visibility="clusters", cluster_id=cluster.id,
                                      start_at=start, end_at=start + timedelta(hours=1))
        services.publish_event(event, staff)
        register(event, leaver)
        (confirmation,) = smtp_server.wait_for(1)
        assert TITLE in confirmation["Subject"]

        forums.leave_cluster(cluster, leaver)
        commit()
        assert services.send_reminders() == 0
        commit()
        jobs.run_ready()
        messages = smtp_server.wait_for(2)
        assert len(messages) == 2
        raw = smtp_server.handler.envelopes[1].content
        received = message_from_bytes(raw, policy=policy.default)
        assert received["To"] == f"Lee Leaver <{leaver.email}>"
        _assert_no_private_detail(raw.decode("utf-8", "replace"))
        _assert_no_private_detail(_everything_in(received))
