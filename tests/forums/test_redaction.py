"""Redaction: client data that got past the guard is purged from everywhere the site keeps it."""
from pathlib import Path

import pytest
from sqlalchemy import JSON, String, Text, cast, func, select

from community import audit
from community.audit import AuditEntry
from community.extensions import db
from community.forums import markup, notify, services
from community.forums.models import Flag, ForumError, Post, PostRevision, Thread
from community.jobs import run_ready
from community.permissions import NotAllowed, access_filter
from community.search import backend as search

#: The client's surname that slipped through; it must be found nowhere after redaction.
MARKER = "Vantreeck"


def _html(response):
    return response.get_data(as_text=True)


def _columns_holding(word):
    """Every "table.column" of every table whose text (String, Text or JSON) contains `word`."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, (String, Text, JSON)):
                continue
            value = cast(column, Text) if isinstance(column.type, JSON) else column
            hits = db.session.scalar(select(func.count()).select_from(table).where(
                func.lower(value).contains(word.lower())))
            if hits:
                found.append(f"{table.name}.{column.name}")
    return found


def _index_files_holding(app, word):
    """Files of the search index whose bytes contain `word` (terms are stored lowercased)."""
    directory = Path(app.config["SEARCH_INDEX_DIR"])
    return [p.name for p in directory.rglob("*") if p.is_file()
            and word.lower().encode() in p.read_bytes().lower()]


def _client_as(app, person):
    client = app.test_client()
    response = client.post("/sign-in", data={"email": person.email,
                                             "password": "correct horse battery"})
    assert response.status_code == 302
    return client


@pytest.fixture
def mailed_forum(app_factory, smtp_server, make_user):
    app = app_factory(MAIL_URL=smtp_server.url)
    with app.app_context():
        from tests.forums.conftest import Forum

        yield Forum(make_user), smtp_server, app


def test_a_redacted_post_and_title_leave_no_trace_in_tables_search_pages_mail_or_audit(
        mailed_forum, make_user):
    forum, smtp, app = mailed_forum
    admin = make_user(role="admin", name="Ada Admin", email="ada@cfpic.example.org")
    notify.set_email_mode(forum.other, "immediate")
    notify.set_watch_level(forum.other, "watching", cluster=forum.cluster)
    db.session.commit()
    # The author names a family in the title and the post, then edits twice (two revisions).
    thread = forum.thread(title=f"Visit planning for the {MARKER} kids",
                          body=f"@maria.lopez how do we plan visits for the {MARKER} family?")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    services.edit_post(opening, forum.member, f"@maria.lopez visits for the {MARKER} family, "
                       "second try?", title=f"Visits for the {MARKER} kids")
    services.edit_post(opening, forum.member, f"@maria.lopez how do you plan visits? "
                       f"The {MARKER} case is urgent.", title=f"Visit planning for the {MARKER} kids")
    db.session.commit()
    # A reply quotes it, a member flags it in their own words, an old-style audit entry copied
    # the title, and the thread is linked from another thread.
    quote = markup.quote(forum.member.handle, opening.body_source) + "Same question here."
    forum.reply(thread, author=forum.other, body=quote, reply_to=opening)
    services.flag_post(opening, forum.other, f"names the {MARKER} family")
    audit.record(forum.facilitator, "thread.pin", "thread", thread.id, f"pinned “{thread.title}”",
                 forum.cluster.id)
    elsewhere = forum.thread(author=forum.other, title="Visit rooms in county offices",
                             body=f"See http://community.test/t/{thread.id}/{thread.slug}")
    db.session.commit()
    # Maria's mention is claimed in a digest, and the other member's immediate e-mails are
    # queued; the worker is behind, so none is sent before the redaction. Search has indexed.
    sent, _ = notify.send_digests(period="2026-11-30")
    assert sent >= 1
    search.rebuild()
    whoosh = search.name() == "whoosh"  # on PostgreSQL the documents are rows: _columns_holding sees them
    assert _index_files_holding(app, MARKER) if whoosh else _columns_holding(MARKER)
    # The thread, and (Whoosh only: PostgreSQL's parser keeps a URL whole) the post linking to its slug.
    assert search.search(access_filter(forum.facilitator), MARKER).total == (2 if whoosh else 1)

    echoes = services.redact_post(opening, forum.facilitator, "a family's surname")
    services.redact_thread_title(thread, forum.facilitator, "Visit planning for a family",
                                 "a family's surname in the title")
    db.session.commit()
    run_ready()  # the queued e-mail, the index updates and the purge

    assert echoes == []
    assert _columns_holding(MARKER) == []
    assert opening.body_source == services.REDACTED_POST
    if whoosh:
        assert _index_files_holding(app, MARKER) == []
    for person in (forum.facilitator, admin):
        results = search.search(access_filter(person), MARKER)
        assert results.total == 0 and MARKER.lower() not in results.suggestion.lower()
    found = search.search(access_filter(forum.facilitator), "visit planning family")
    assert found.total >= 1
    assert all(MARKER.lower() not in (hit.title + hit.snippet).lower() for hit in found.hits)
    assert "[removed by a moderator" in str(found.hits[0].snippet) + str(found.hits[0].title) \
        or found.hits[0].url.endswith("visit-planning-for-a-family")

    messages = smtp.wait_for(2)
    assert {m["To"].split("<")[-1].rstrip(">") for m in messages} >= {
        forum.facilitator.email, forum.other.email}
    for message in messages:
        assert MARKER.lower() not in message.as_bytes().lower().decode("utf-8", "replace")
    assert any(services.REDACTED_POST in message.get_body(("plain",)).get_content()
               for message in messages)

    maria = _client_as(app, forum.facilitator)
    old_link = maria.get(f"/t/{thread.id}/visit-planning-for-the-{MARKER.lower()}-kids")
    assert old_link.status_code == 302
    assert old_link.location.endswith(f"/t/{thread.id}/visit-planning-for-a-family")
    pages = [maria.get(f"/t/{thread.id}?page=1"), maria.get(f"/p/{opening.id}/history"),
             maria.get("/notifications"), maria.get("/"), maria.get("/flags"),
             maria.get(f"/t/{elsewhere.id}?page=1")]
    for page in pages:
        assert page.status_code == 200
        assert MARKER.lower() not in _html(page).lower()
    history = _html(pages[1])
    assert "Redactions" in history and "Maria Lopez" in history
    assert "Reason: a family&#39;s surname" in history
    assert "Reason: a family&#39;s surname in the title" in history
    audit_page = _html(_client_as(app, admin).get("/admin/audit"))
    assert MARKER.lower() not in audit_page.lower()
    assert "Redacted a post" in audit_page and "Redacted a thread title" in audit_page
    assert "“Visit planning for a family”" in audit_page


def test_a_member_and_another_clusters_facilitator_cannot_reach_the_redact_routes(
        forum, client, sign_in, make_user):
    thread = forum.thread(body=f"The {MARKER} family again")
    post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id))
    elsewhere = make_user(name="Nora Facilitator", email="nora@kern.example.gov")
    forum.add_cluster("Data & Evaluation", [elsewhere])
    db.session.commit()
    form = {"reason": "a surname", "replacement": "", "title": "A new title", "confirm": "y"}
    sign_in(forum.other)
    assert client.get(f"/p/{post_id}/redact").status_code == 403
    assert client.post(f"/p/{post_id}/redact", data=form).status_code == 403
    assert client.post(f"/t/{thread.id}/redact-title", data=form).status_code == 403
    assert f"/p/{post_id}/redact" not in _html(client.get(f"/t/{thread.id}?page=1"))
    client.post("/sign-out")
    sign_in(elsewhere)
    assert client.get(f"/p/{post_id}/redact").status_code == 404
    assert client.post(f"/p/{post_id}/redact", data=form).status_code == 404
    assert client.post(f"/t/{thread.id}/redact-title", data=form).status_code == 404
    with pytest.raises(NotAllowed):
        services.redact_post(db.session.get(Post, post_id), elsewhere, "a surname")
    assert MARKER in db.session.get(Post, post_id).body_source
    assert db.session.get(Thread, thread.id).title == thread.title
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_facilitator_redacts_through_the_pages_with_a_confirmation_and_a_clear_message(
        forum, client, sign_in):
    thread = forum.thread(body=f"We met the {MARKER} family today.")
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    sign_in(forum.facilitator)
    page = _html(client.get(f"/t/{thread.id}?page=1"))
    assert f"/p/{post.id}/redact" in page and f"/t/{thread.id}/redact-title" in page
    form = _html(client.get(f"/p/{post.id}/redact"))
    assert 'name="csrf_token"' in form and "data-confirm" in form and "cannot be brought back" in form
    unconfirmed = client.post(f"/p/{post.id}/redact", data={"reason": "a surname", "replacement": ""})
    assert unconfirmed.status_code == 200 and "Tick the box" in _html(unconfirmed)
    assert MARKER in db.session.get(Post, post.id).body_source
    done = client.post(f"/p/{post.id}/redact", data={"reason": "a surname", "replacement": "",
                                                      "confirm": "y"}, follow_redirects=True)
    assert "Post #1 is redacted" in _html(done) and MARKER not in _html(done)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.redact"))
    assert entry.actor_id == forum.facilitator.id and entry.target_id == post.id
    assert entry.summary == "Redacted post #1. Reason: a surname"


def test_a_reason_that_repeats_the_removed_text_is_refused_and_nothing_changes(forum, client,
                                                                                sign_in):
    thread = forum.thread(body=f"Her caseworker met the {MARKER} family at home.")
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    for reason in (f"the {MARKER.lower()} surname", "met the vantreeck family", "DOB 04/12/2015"):
        with pytest.raises(ForumError, match="repeats what is being removed"):
            services.redact_post(post, forum.facilitator, reason)
    db.session.rollback()
    sign_in(forum.facilitator)
    page = client.post(f"/p/{post.id}/redact", data={"reason": f"{MARKER} named",
                                                      "replacement": "", "confirm": "y"})
    assert page.status_code == 200 and "repeats what is being removed" in _html(page)
    assert MARKER in db.session.get(Post, post.id).body_source
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_moderator_may_keep_the_post_and_cut_only_the_client_data(forum):
    thread = forum.thread(body=f"We invite the WTW case manager. The {MARKER} family agreed.")
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    services.edit_post(post, forum.member, f"We invite the WTW case manager; the {MARKER} "
                       "family agreed to it.")
    db.session.commit()
    with pytest.raises(ForumError, match="repeats"):
        services.redact_post(post, forum.facilitator, "the agreed surname",
                             replacement="We invite the WTW case manager. The family was fine.")
    services.redact_post(post, forum.facilitator, "a family's surname",
                         replacement="We invite the WTW case manager. The family agreed.")
    db.session.commit()
    assert post.body_source == "We invite the WTW case manager. The family agreed."
    assert "<p>We invite the WTW case manager. The family agreed.</p>" in post.body_html
    assert post.edited_by_id == forum.facilitator.id
    revisions = db.session.scalars(select(PostRevision.body_source)).all()
    assert revisions == [services.REDACTED_POST]


def test_a_replacement_that_still_holds_client_data_is_refused(forum):
    thread = forum.thread(body=f"The {MARKER} family, case number 4471-2231-0091-1234567.",
                          confirmed=True)  # the author wrongly confirmed it was not client data
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    with pytest.raises(ForumError, match="still looks like"):
        services.redact_post(post, forum.facilitator, "a case number",
                             replacement="The family, case number 4471-2231-0091-1234567.")


def test_the_moderator_hears_of_other_posts_that_repeat_the_removed_text(forum):
    thread = forum.thread(body=f"The {MARKER} family asked about visits.")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    echo = forum.reply(thread, body=f"I know the {MARKER} family too.")
    echoes = services.redact_post(opening, forum.facilitator, "a family's surname")
    assert echoes == [echo]
    services.redact_post(echo, forum.facilitator, "the same surname")
    db.session.commit()
    assert _columns_holding(MARKER) == []


def test_hidden_and_deleted_posts_can_be_redacted_and_their_reasons_lose_the_text(forum):
    thread = forum.thread()
    hidden = forum.reply(thread, body=f"The {MARKER} children moved.")
    deleted = forum.reply(thread, body=f"Sorry, I meant the {MARKER} case.")
    services.hide_post(hidden, forum.facilitator, f"names the {MARKER} children")
    services.delete_post(deleted, forum.other)
    db.session.commit()
    services.redact_post(hidden, forum.facilitator, "a surname")
    services.redact_post(deleted, forum.facilitator, "a surname")
    db.session.commit()
    assert _columns_holding(MARKER) == []
    assert hidden.hidden_at is not None and hidden.hidden_reason == services.REDACTED_NOTE


def test_the_flag_keeps_the_reporters_words_and_the_post_id_not_a_copy_of_the_post(forum):
    post = forum.reply(forum.thread(), body=f"The {MARKER} family asked again.")
    flag = services.flag_post(post, forum.member, "Includes a last name")
    db.session.commit()
    assert (flag.post_id, flag.reason) == (post.id, "Includes a last name")
    services.redact_post(post, forum.facilitator, "a family's surname")
    db.session.commit()
    assert db.session.get(Flag, flag.id).reason == "Includes a last name"


def test_audit_entries_of_forum_acts_keep_ids_and_the_log_shows_the_title_as_it_is_now(
        forum, make_user, client, sign_in):
    admin = make_user(role="admin", name="Ada Admin", email="ada@cfpic.example.org")
    thread = forum.thread(title="Joint case reviews for families")
    reply = forum.reply(thread)
    services.set_pinned(thread, forum.facilitator, True)
    services.hide_post(reply, forum.facilitator, "off topic")
    services.edit_post(db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                            Post.number == 1)),
                       admin, "Edited by an admin", title="Joint reviews")
    db.session.commit()
    summaries = db.session.scalars(select(AuditEntry.summary)).all()
    assert len(summaries) == 3 and not any("Joint" in summary for summary in summaries)
    sign_in(admin)
    page = _html(client.get("/admin/audit"))
    assert page.count("“Joint reviews”") >= 2 and "Joint case reviews for families" not in page
    assert "post #2 in “Joint reviews”" in page


def test_a_title_redaction_relinks_other_posts_and_newsletter_highlights(forum):
    from newsletters.blocks import collect_cards
    from newsletters.models import Block, Issue

    public = forum.add_cluster("Linkages Announcements", [forum.facilitator], is_public=True)
    db.session.commit()
    news = forum.thread(author=forum.facilitator, cluster=public,
                        title=f"Thanks to the {MARKER} family")
    block = Block(kind="highlights", position=0, settings={"thread_ids": [news.id]})
    issue = Issue(subject="Winter issue", status="sent", sent_at=news.created_at, blocks=[block])
    block.cards = collect_cards(block, issue)
    db.session.add(issue)
    db.session.commit()
    assert block.cards[0]["title"] == news.title
    linking = forum.thread(author=forum.member, title="Worth reading",
                           body=f"http://community.test/t/{news.id}/{news.slug}")
    linking_post = db.session.scalar(select(Post).where(Post.thread_id == linking.id))
    assert MARKER.lower() in linking_post.body_html  # the stored link carries the old slug
    with pytest.raises(ForumError, match="same as the old"):
        services.redact_thread_title(news, forum.facilitator, news.title, "a surname")
    services.redact_thread_title(news, forum.facilitator, "Thanks to a family", "a surname")
    db.session.commit()
    run_ready()
    assert linking_post.body_source == f"http://community.test/t/{news.id}/thanks-to-a-family"
    assert "thanks-to-a-family" in linking_post.body_html and MARKER.lower() not in linking_post.body_html
    assert db.session.get(Block, block.id).cards[0]["title"] == "Thanks to a family"
    assert _columns_holding(MARKER) == []
