"""The confidentiality guard on every forum form: titles, posts, edits, flags and hiding reasons."""
from sqlalchemy import func, select

from community.audit import AuditEntry
from community.extensions import db
from community.forums.models import Flag, Notification, Post, Thread


def _html(response):
    return response.get_data(as_text=True)


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_ssn_in_a_thread_title_is_refused_and_nothing_is_stored_or_notified(forum, client, sign_in):
    sign_in(forum.member)
    response = client.post(f"/clusters/{forum.cluster.slug}/new", data={
        "title": "Help with 545\u201312\u20137789 please", "body": "Anyone?", "submit": "Start thread",
        "confirm_not_client_data": "y"})
    page = _html(response)
    assert response.status_code == 200
    assert "This cannot be posted" in page and "Title: <mark>545" in page
    assert "a Social Security number" in page and 'name="confirm_not_client_data"' not in page
    assert 'value="Help with 545' in page  # what the person typed is kept
    assert _count(Thread) == 0 and _count(Post) == 0 and _count(Notification) == 0
    assert _count(AuditEntry) == 0


def test_a_case_number_in_a_title_asks_for_confirmation_and_never_reaches_the_url(
        forum, client, sign_in):
    sign_in(forum.member)
    data = {"title": "Transfer of CWS case 2023 00123", "body": "Who has the file?",
            "submit": "Start thread"}
    page = _html(client.post(f"/clusters/{forum.cluster.slug}/new", data=data))
    assert "Check this before it is posted" in page and "2023 00123" in page
    assert 'name="confirm_not_client_data"' in page and _count(Thread) == 0
    response = client.post(f"/clusters/{forum.cluster.slug}/new",
                           data={**data, "confirm_not_client_data": "y"})
    thread = db.session.scalars(select(Thread)).one()
    assert response.status_code == 302 and thread.title == "Transfer of CWS case 2023 00123"
    assert "00123" not in thread.slug and "00123" not in response.location
    assert db.session.scalar(select(Post.guard_confirmed).where(Post.thread_id == thread.id))


def test_previewing_a_thread_checks_its_title_too(forum, client, sign_in):
    sign_in(forum.member)
    page = _html(client.post(f"/clusters/{forum.cluster.slug}/new", data={
        "title": "Mom's DOB 4/12/1988 mismatch", "body": "Which system wins?", "preview": "Preview"}))
    assert "Title: <mark>DOB 4/12/1988</mark>" in page and _count(Thread) == 0


def test_an_ssn_disguised_with_html_entities_in_a_reply_is_refused(forum, client, sign_in):
    thread = forum.thread()
    sign_in(forum.other)
    page = _html(client.post(f"/t/{thread.id}/reply", data={
        "body": "Her SSN is 545&#45;12&#45;7789", "submit": "Post reply",
        "confirm_not_client_data": "y"}))
    assert "This cannot be posted" in page and "545&amp;#45;12&amp;#45;7789" in page
    db.session.refresh(thread)
    assert thread.reply_count == 0


def test_editing_a_title_to_add_an_ssn_is_refused_and_the_old_title_stays(forum, client, sign_in):
    thread = forum.thread()
    sign_in(forum.member)
    post = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).one()
    page = _html(client.post(f"/p/{post.id}/edit", data={
        "title": "SSN 545 12 7789 question", "body": post.body_source, "submit": "Save changes"}))
    assert "This cannot be posted" in page
    db.session.refresh(thread)
    assert thread.title == "Team Decision Meetings with CalWORKs staff"


def test_editing_a_post_body_to_add_a_childs_name_and_age_asks_first(forum, client, sign_in):
    thread = forum.thread()
    sign_in(forum.member)
    post = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).one()
    data = {"title": thread.title, "body": "Marisol Vega (age 4) is the youngest.",
            "submit": "Save changes"}
    page = _html(client.post(f"/p/{post.id}/edit", data=data))
    assert "a child&#39;s name with an age" in page or "a child's name with an age" in page
    db.session.refresh(post)
    assert "Marisol" not in post.body_source
    client.post(f"/p/{post.id}/edit", data={**data, "confirm_not_client_data": "y"})
    db.session.refresh(post)
    assert "Marisol" in post.body_source and post.guard_confirmed


def test_a_flag_reason_with_an_ssn_is_refused_and_no_flag_is_stored(forum, client, sign_in):
    thread = forum.thread()
    post = forum.reply(thread)
    sign_in(forum.member)
    page = _html(client.post(f"/p/{post.id}/flag", data={
        "reason": "This is the family with SSN 545-12-7789", "confirm_not_client_data": "y"}))
    assert "This cannot be saved" in page and "Reason: <mark>545-12-7789</mark>" in page
    assert _count(Flag) == 0


def test_a_flag_reason_with_a_case_number_is_stored_once_confirmed(forum, client, sign_in):
    thread = forum.thread()
    post = forum.reply(thread)
    sign_in(forum.member)
    data = {"reason": "Same family as referral #557812"}
    page = _html(client.post(f"/p/{post.id}/flag", data=data))
    assert "Check this before it is saved" in page and _count(Flag) == 0
    client.post(f"/p/{post.id}/flag", data={**data, "confirm_not_client_data": "y"})
    assert db.session.scalar(select(Flag.reason)) == "Same family as referral #557812"


def test_a_hiding_reason_shown_to_members_is_guarded(forum, client, sign_in):
    thread = forum.thread()
    post = forum.reply(thread)
    sign_in(forum.facilitator)
    page = _html(client.post(f"/p/{post.id}/hide", data={"reason": "Posted DOB 04/12/2016"}))
    assert "Check this before it is saved" in page
    db.session.refresh(post)
    assert post.hidden_at is None
