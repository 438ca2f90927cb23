"""Forum pages through the test client: who sees what, composing, reading, and query counts."""
import re

from sqlalchemy import insert, select

from community.extensions import db
from community.forums import notify, queries, services
from community.forums.models import Notification, Post, ReadState, Thread
from tests.support.queries import count_queries, queries_for


def _html(response):
    return response.get_data(as_text=True)


def test_a_non_member_gets_404_for_a_private_clusters_thread_and_sees_only_its_description(
        forum, client, sign_in):
    forum.cluster.is_open = False  # an open cluster previews its titles (tests/forums/test_first_visit.py)
    db.session.commit()
    thread = forum.thread(title="Sanction prevention for parents in treatment")
    sign_in(forum.outsider)
    assert client.get(f"/t/{thread.id}").status_code == 404
    post_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id))
    assert client.get(f"/p/{post_id}").status_code == 404
    assert client.get(f"/t/{thread.id}/reply").status_code == 404
    page = _html(client.get(f"/clusters/{forum.cluster.slug}"))
    assert forum.cluster.description in page and "Sanction prevention" not in page
    assert "Ask to join" in page


def test_a_thread_whose_opening_post_is_hidden_is_gone_for_all_but_its_author_and_moderators(
        forum, client, sign_in, app):
    thread = forum.thread(title="Staffing the Rivera family's TDM")
    reply = forum.reply(thread)
    opening = db.session.scalars(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).one()
    services.hide_post(opening, forum.facilitator, "names a family")
    db.session.commit()
    paths = [f"/t/{thread.id}", f"/t/{thread.id}?page=1", f"/t/{thread.id}/post/2", f"/p/{reply.id}"]
    sign_in(forum.other)  # a member who replied
    for path in paths:
        assert client.get(path, follow_redirects=True).status_code == 404, path
    assert "Rivera" not in client.get(f"/clusters/{forum.cluster.slug}").get_data(as_text=True)
    for person in (forum.member, forum.facilitator):  # its author, and the cluster's facilitator
        browser = app.test_client()
        browser.post("/sign-in", data={"email": person.email, "password": "correct horse battery"})
        assert browser.get(f"/t/{thread.id}?page=1").status_code == 200


def test_the_cluster_page_names_its_active_facilitators_by_name(forum, client, sign_in):
    from community.clusters.models import ClusterMembership

    second = forum.make_user(name="Ana Duarte", email="ana@kern.example.gov")
    pending = forum.make_user(name="Zed Pending", email="zed@kern.example.gov")
    forum.cluster.memberships.append(ClusterMembership(user=second, role="facilitator"))
    forum.cluster.memberships.append(ClusterMembership(user=pending, role="facilitator", status="pending"))
    db.session.commit()
    sign_in(forum.member)
    page = _html(client.get(f"/clusters/{forum.cluster.slug}"))
    line = re.search(r"<p>Facilitated by (.*?)</p>", page).group(1)
    assert re.findall(r'<a href="/people/([^"]+)">([^<]+)</a>', line) == [
        (second.handle, "Ana Duarte"), (forum.facilitator.handle, "Maria Lopez")]


def test_anonymous_visitors_read_public_clusters_but_not_private_ones(forum, client):
    public = forum.add_cluster("Linkages Announcements", [forum.facilitator], is_public=True)
    db.session.commit()
    news = forum.thread(author=forum.facilitator, cluster=public, title="Save the date: convening")
    private = forum.thread(title="Private cluster thread")
    assert "Save the date" in _html(client.get(f"/t/{news.id}"))
    assert client.get(f"/t/{private.id}").status_code == 404
    cluster_page = _html(client.get(f"/clusters/{forum.cluster.slug}"))
    assert "Private cluster thread" not in cluster_page and "Facilitated by" not in cluster_page
    assert "3 members" not in cluster_page and forum.cluster.description in cluster_page
    assert "members ·" not in _html(client.get("/clusters"))


def test_preview_renders_the_markdown_without_saving_and_keeps_the_text(forum, client, sign_in):
    sign_in(forum.member)
    page = _html(client.post(f"/clusters/{forum.cluster.slug}/new", data={
        "title": "Joint case reviews", "body": "We hold them **monthly**.", "preview": "Preview"}))
    assert "<strong>monthly</strong>" in page and "We hold them **monthly**." in page
    assert 'value="Joint case reviews"' in page
    assert db.session.scalar(select(Thread.id)) is None


def test_the_compose_page_has_write_and_preview_parts_and_a_preview_button_but_no_empty_panel(
        forum, client, sign_in):
    sign_in(forum.member)
    page = _html(client.get(f"/clusters/{forum.cluster.slug}/new"))
    assert "Live preview" not in page
    assert 'id="compose-write"' in page and 'id="compose-preview"' in page
    assert re.search(r'<div id="compose-preview"[^>]*hidden', page)
    assert re.search(r'<button[^>]*name="preview"[^>]*>Preview</button>', page)


def test_live_preview_returns_sanitized_html_for_signed_in_members_only(forum, client, sign_in):
    assert client.post("/preview", data={"body": "**hi**"}).status_code == 302
    sign_in(forum.member)
    html = _html(client.post("/preview", data={"body": "**hi** <script>x()</script> @maria.lopez"}))
    assert "<strong>hi</strong>" in html and "<script>" not in html
    assert f'href="/people/{forum.facilitator.handle}"' in html


def test_posting_a_thread_redirects_to_it(forum, client, sign_in):
    sign_in(forum.member)
    response = client.post(f"/clusters/{forum.cluster.slug}/new", data={
        "title": "Joint case reviews", "body": "Monthly or quarterly?", "is_question": "y",
        "submit": "Start thread"})
    thread = db.session.scalars(select(Thread)).one()
    assert response.status_code == 302 and f"/t/{thread.id}/joint-case-reviews" in response.location
    assert thread.is_question


def test_empty_posts_are_refused_with_a_message_and_nothing_is_stored(forum, client, sign_in):
    sign_in(forum.member)
    page = _html(client.post(f"/clusters/{forum.cluster.slug}/new", data={
        "title": "Joint case reviews", "body": "  ", "submit": "Start thread"}))
    assert "the post is empty" in page and 'value="Joint case reviews"' in page
    assert db.session.scalar(select(Thread.id)) is None


def test_the_guard_shows_what_it_caught_and_a_confirmation_lets_a_public_line_through(
        forum, client, sign_in):
    thread = forum.thread()
    sign_in(forum.other)
    body = "Her cell is (209) 555-0143, she prefers texts."
    page = _html(client.post(f"/t/{thread.id}/reply", data={"body": body, "submit": "Post reply"}))
    assert "(209) 555-0143" in page and "looks like a phone number" in page
    assert body in page and thread.reply_count == 0
    client.post(f"/t/{thread.id}/reply", data={"body": body, "submit": "Post reply",
                                               "confirm_not_client_data": "y"})
    db.session.refresh(thread)
    assert thread.reply_count == 1


def test_social_security_numbers_are_refused_even_when_confirmed(forum, client, sign_in):
    thread = forum.thread()
    sign_in(forum.other)
    page = _html(client.post(f"/t/{thread.id}/reply", data={
        "body": "SSN 545-12-7789", "submit": "Post reply", "confirm_not_client_data": "y"}))
    assert "This cannot be posted" in page and "confirm_not_client_data" not in page
    db.session.refresh(thread)
    assert thread.reply_count == 0


def test_quoting_prefills_the_reply_with_the_quoted_post(forum, client, sign_in):
    thread = forum.thread()
    post = forum.reply(thread, body="We invite both workers.")
    sign_in(forum.member)
    page = _html(client.get(f"/t/{thread.id}/reply?quote={post.id}"))
    assert "&gt; **@tanya.brooks** wrote:" in page and "&gt; We invite both workers." in page
    assert f'value="{post.id}"' in page


def test_opening_a_thread_jumps_to_the_first_unread_post_across_pages(forum, client, sign_in):
    thread = forum.thread()
    for n in range(queries.POSTS_PER_PAGE + 3):
        services.post_reply(thread, forum.other, f"Reply number {n}")
    db.session.commit()
    services.mark_read(thread, forum.member, queries.POSTS_PER_PAGE + 1)
    db.session.commit()
    sign_in(forum.member)
    response = client.get(f"/t/{thread.id}")
    first_unread = queries.POSTS_PER_PAGE + 2
    assert response.status_code == 302
    assert response.location.endswith(f"page=2#post-{first_unread}")
    page = _html(client.get(response.location))
    assert f'id="post-{first_unread}"' in page
    state = db.session.scalar(select(ReadState).where(ReadState.user_id == forum.member.id))
    assert state.last_read_number == thread.last_number


def test_cluster_page_marks_new_threads_and_counts_new_posts_for_tracked_ones(forum, client, sign_in):
    seen = forum.thread(title="A thread read before")
    forum.thread(author=forum.other, title="A thread never opened")
    services.mark_read(seen, forum.facilitator, 1)
    services.post_reply(seen, forum.other, "New reply one")
    services.post_reply(seen, forum.other, "New reply two")
    notify.set_watch_level(forum.facilitator, "tracking", cluster=forum.cluster)
    db.session.commit()
    sign_in(forum.facilitator)
    page = _html(client.get(f"/clusters/{forum.cluster.slug}"))
    assert "2 new posts" in page
    never_opened = next(row for row in page.split('class="thread-item')[1:]
                        if "A thread never opened</a>" in row).split("</li>")[0]
    assert '<span class="tag tag-new">New</span>' in never_opened


def test_moderators_see_history_others_get_404(forum, client, sign_in):
    post = forum.reply(forum.thread())
    services.edit_post(post, forum.other, "Edited text")
    db.session.commit()
    sign_in(forum.member)
    assert client.get(f"/p/{post.id}/history").status_code == 404
    client.post("/sign-out")
    sign_in(forum.facilitator)
    assert "We send the TDM invitation" in _html(client.get(f"/p/{post.id}/history"))


def test_notifications_page_lists_and_opens_a_mention_and_the_bell_counts_it(forum, client, sign_in):
    thread = forum.thread()
    post = forum.reply(thread, body="@maria.lopez what do you think?")
    sign_in(forum.facilitator)
    home = _html(client.get("/"))
    assert "1 unread" in home and "Latest in your clusters" in home
    page = _html(client.get("/notifications"))
    assert "Tanya Brooks</strong> mentioned you" in page
    link = re.search(r'href="(/notifications/\d+)"', page).group(1)
    assert client.get(link).location.endswith(f"/p/{post.id}")
    assert "unread" not in _html(client.get("/")).split("Notifications")[1][:20]


def test_reading_a_thread_marks_its_notifications_read_up_to_the_last_post_shown(
        forum, client, sign_in):
    thread = _bulk_thread(forum, queries.POSTS_PER_PAGE + 5)
    early = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 2))
    late = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                Post.number == queries.POSTS_PER_PAGE + 3))
    for post in (early, late):
        notify.add(forum.facilitator, "mention", actor=forum.member, thread=thread, post=post)
    other = forum.thread(title="Another discussion entirely")
    notify.add(forum.facilitator, "posted", actor=forum.member, thread=other, post=None)
    db.session.commit()
    sign_in(forum.facilitator)
    assert "3 unread" in _html(client.get("/notifications"))
    client.get(f"/t/{thread.id}?page=1")
    unread = db.session.scalars(select(Notification.post_id).where(
        Notification.user_id == forum.facilitator.id, Notification.read_at.is_(None))).all()
    assert sorted(unread, key=str) == sorted([late.id, None], key=str)
    client.get(f"/t/{thread.id}?page=2")
    client.get(f"/t/{other.id}")
    assert notify.unread_count(forum.facilitator) == 0


def test_a_page_read_before_marks_read_what_arrived_about_it_and_shows_the_readers_helpful_marks(
        forum, client, sign_in):
    """A reader's facts about a page come in one statement: a notification about one of its posts that
    arrived after they read it is marked read when they look again (one about a later page is not),
    and their helpful marks show on the page that holds those posts only."""
    per_page = queries.POSTS_PER_PAGE
    thread = _bulk_thread(forum, per_page + 5)
    sign_in(forum.facilitator)
    client.get(f"/t/{thread.id}?page=1")
    client.get(f"/t/{thread.id}?page=2")  # read to the end
    on_page_1, on_page_2 = (db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == n))
                            for n in (3, per_page + 3))  # others' posts
    for post in (on_page_1, on_page_2):
        notify.add(forum.facilitator, "mention", actor=forum.member, thread=thread, post=post)
        services.toggle_helpful(post, forum.facilitator)
    db.session.commit()
    page_1 = _html(client.get(f"/t/{thread.id}?page=1"))
    unread = db.session.scalars(select(Notification.post_id).where(
        Notification.user_id == forum.facilitator.id, Notification.read_at.is_(None))).all()
    assert unread == [on_page_2.id]
    pressed = re.findall(r'aria-pressed="true">Helpful <span class="visually-hidden">\(post #(\d+)\)', page_1)
    assert pressed == ["3"]
    page_2 = _html(client.get(f"/t/{thread.id}?page=2"))
    assert re.findall(r'aria-pressed="true">Helpful <span class="visually-hidden">\(post #(\d+)\)', page_2) == [
        str(per_page + 3)]
    assert notify.unread_count(forum.facilitator) == 0


def test_the_notifications_page_groups_notifications_by_thread(forum, client, sign_in):
    first = forum.thread(title="Braiding funds for a shared position")
    second = forum.thread(title="Warm handoffs between programs")
    forum.reply(first, body="@maria.lopez one")
    forum.reply(second, body="@maria.lopez two")
    forum.reply(first, body="@maria.lopez three")
    sign_in(forum.facilitator)
    page = _html(client.get("/notifications"))
    headings = re.findall(r'<h2 id="notification-group-\d+"[^>]*>\s*([^<]+?)\s*<', page)
    assert headings == [first.title, second.title]
    first_group = page.split(first.title)[1].split(second.title)[0]
    assert first_group.count("mentioned you") == 2


def test_after_leaving_a_cluster_its_thread_titles_disappear_from_notifications_and_home(
        forum, client, sign_in):
    thread = forum.thread(title="Braiding funds for a co-located position")
    forum.reply(thread, body="@maria.lopez your view?")
    services.leave_cluster(forum.cluster, forum.facilitator)
    db.session.commit()
    sign_in(forum.facilitator)
    assert "A thread you can no longer see" in _html(client.get("/notifications"))
    assert "Braiding funds" not in _html(client.get("/notifications"))
    assert "Braiding funds" not in _html(client.get("/"))


def test_settings_page_changes_email_mode_and_levels(forum, client, sign_in):
    thread = forum.thread()
    sign_in(forum.member)
    page = _html(client.get("/notifications/settings"))
    assert thread.title in page
    assert "<dt>Muted</dt><dd>Nothing notifies you, not even a mention.</dd>" in page
    client.post("/notifications/settings", data={"mode": "immediate", f"thread-{thread.id}": "muted"})
    assert notify.email_mode(forum.member) == "immediate"
    assert notify.levels_for_thread(thread)[forum.member.id] == "muted"


def test_the_settings_form_answers_alike_for_a_hidden_thread_and_one_that_does_not_exist(forum, client, sign_in):
    private = forum.add_cluster("Fiscal Leads", [forum.facilitator])
    hidden = forum.thread(author=forum.facilitator, cluster=private)
    sign_in(forum.outsider)
    answers = [client.post("/notifications/settings", data={"mode": "digest", f"thread-{ident}": "watching"})
               for ident in (hidden.id, hidden.id + 1000)]
    assert [a.status_code for a in answers] == [302, 302]
    assert forum.outsider.id not in notify.levels_for_thread(hidden)


def test_profile_shows_only_posts_the_viewer_may_see(forum, client, sign_in):
    private = forum.add_cluster("Fiscal & Sustainability", [forum.other])
    db.session.commit()
    forum.thread(author=forum.other, cluster=private, title="Braiding funds")
    forum.thread(author=forum.other, title="Shared family engagement thread")
    sign_in(forum.member)
    page = _html(client.get(f"/people/{forum.other.handle}"))
    assert "Shared family engagement thread" in page and "Braiding funds" not in page


def test_posting_is_rate_limited_per_person(app_factory, make_user, backend):
    app = app_factory(RATELIMIT_ENABLED=True, LIMIT_FORUM_POST="2 per minute")
    with app.app_context():
        from tests.forums.conftest import Forum

        forum = Forum(make_user)
        thread = forum.thread()
        client = app.test_client()
        client.post("/sign-in", data={"email": forum.other.email, "password": "correct horse battery"})
        responses = [client.post(f"/t/{thread.id}/reply", data={"body": f"Reply number {n}",
                                                                 "submit": "Post reply"})
                     for n in range(3)]
        preview = client.post(f"/t/{thread.id}/reply", data={"body": "Draft", "preview": "Preview"})
        assert [r.status_code for r in responses] == [302, 302, 429] and preview.status_code == 200
        refused = _html(responses[-1])
        assert "posting faster than the site allows" in refused and "Reply number 2" in refused
        from community.extensions import limiter

        limiter.reset()


def _bulk_thread(forum, posts):
    """A thread with many posts, inserted in bulk (the page must not care how many there are)."""
    thread = forum.thread()
    rows = [{"thread_id": thread.id, "number": n, "author_id": (forum.other if n % 2 else forum.facilitator).id,
             "body_source": f"Reply {n}", "body_html": f"<p>Reply {n}</p>", "helpful_count": 0,
             "guard_confirmed": False, "hidden_reason": ""} for n in range(2, posts + 1)]
    db.session.execute(insert(Post), rows)
    thread.last_number, thread.reply_count = posts, posts - 1
    db.session.commit()
    return thread


def test_the_person_their_clusters_and_their_bell_come_in_the_statement_that_finds_the_session(
        app, forum, sign_in):
    from flask_login import current_user

    from community.clusters.models import ACTIVE_ROLES
    from community.permissions import cluster_roles

    other = forum.add_cluster("Data & Evaluation", facilitators=[forum.member], is_open=False)
    closed = forum.add_cluster("Closed Circle", facilitators=[forum.facilitator], is_open=False)
    private = forum.thread(author=forum.facilitator, cluster=closed, title="Only for the circle")
    thread = forum.thread(author=forum.facilitator)
    for _ in range(2):
        notify.add(forum.member, "posted", actor=forum.facilitator, thread=thread)
    db.session.commit()
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    for person, unread in ((forum.member, 2), (forum.outsider, 0)):
        client = app.test_client()  # each person in a browser of their own
        assert client.post("/sign-in", data={"email": person.email, "password": "correct horse battery"}
                           ).status_code == 302
        with count_queries() as statements:
            page = client.get("/about").get_data(as_text=True)
        assert len(statements) == 1, statements  # the session, the person, the bell, their clusters
        assert (f"{unread} unread" in page) is bool(unread)
        expected = dict(db.session.execute(ACTIVE_ROLES, {"person": person.id}).all())
        assert (forum.cluster.id in expected) is (person is forum.member)
        assert (expected.get(other.id) == "facilitator") is (person is forum.member)
        cookie = f"{cookie_name}={client.get_cookie(cookie_name).value}"
        with app.app_context(), app.test_request_context(headers={"Cookie": cookie}):  # a g of its own
            assert current_user.id == person.id
            with count_queries() as asked:
                assert cluster_roles(current_user) == expected
            assert asked == []  # read with the session
    # What the roles decide, as before: the closed cluster's thread is its facilitator's to read.
    assert client.get(f"/t/{private.id}").status_code == 404  # the outsider is signed in
    facilitator = app.test_client()
    facilitator.post("/sign-in", data={"email": forum.facilitator.email, "password": "correct horse battery"})
    assert "Only for the circle" in facilitator.get(f"/t/{private.id}").get_data(as_text=True)


def test_each_page_of_a_thread_shows_the_post_numbers_page_of_puts_there(forum, client, sign_in):
    per_page = queries.POSTS_PER_PAGE
    thread = _bulk_thread(forum, 2 * per_page + 5)
    sign_in(forum.member)
    shown = {}
    for page in (1, 2, 3, 4):
        html = client.get(f"/t/{thread.id}?page={page}").get_data(as_text=True)
        shown[page] = [int(n) for n in re.findall(r'<article [^>]*\bid="post-(\d+)"', html)]
    assert shown[1] == list(range(1, per_page + 1))
    assert shown[2] == list(range(per_page + 1, 2 * per_page + 1))
    assert shown[3] == list(range(2 * per_page + 1, 2 * per_page + 6))
    assert shown[4] == []  # past the end: nothing, as before
    assert all(queries.page_of(n) == page for page, numbers in shown.items() for n in numbers)


def test_a_page_number_past_the_end_or_past_any_integer_shows_an_empty_page(forum, client, sign_in):
    """Page n reads post numbers from 20n − 19: a page whose numbers a database integer cannot
    hold (PostgreSQL's is 32 bits: page 2147483647 starts past it) is a page with no posts, not an
    error. (A page number beyond 32 bits is no page number at all: the reader's place is shown.)"""
    thread = _bulk_thread(forum, 25)
    sign_in(forum.member)
    client.get(f"/t/{thread.id}?page=2")  # read to the end: no redirect to the first unread post
    for page in ("3", "107374183", "2147483647", "2147483648", "9223372036854775808", "9" * 40):
        response = client.get(f"/t/{thread.id}?page={page}")
        assert response.status_code == 200, page
        if int(page) < 2 ** 31:
            assert not re.findall(r'<article [^>]*\bid="post-\d+"', response.get_data(as_text=True)), page
        assert client.get(f"/clusters/{forum.cluster.slug}?page={page}").status_code == 200, page


def test_thread_page_query_count_does_not_grow_with_posts(forum, client, sign_in):
    pages = [(_bulk_thread(forum, 5).id, 1)] + [(_bulk_thread(forum, 200).id, n) for n in (1, 5, 10)]
    sign_in(forum.member)
    for thread_id, page in pages:  # first visits record the reading position
        client.get(f"/t/{thread_id}?page={page}")
    counts = []
    for thread_id, page in pages:
        with count_queries() as counted:
            assert client.get(f"/t/{thread_id}?page={page}").status_code == 200
        counts.append(len(counted))
        # A page read before writes nothing, and no COUNT(*) over the thread's posts is run.
        assert not [sql for sql in counted if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))], counted
        assert not [sql for sql in counted if "count(*)" in sql.lower() and "forum_posts" in sql], counted
    # The session with the person; the thread with their reading of the page (position, level, helpful
    # marks, unread notifications about it); the posts with their authors.
    assert counts == [3] * len(pages), counts


def test_cluster_page_query_count_does_not_grow_with_threads(forum, client, sign_in, app):
    forum.thread()
    path = f"/clusters/{forum.cluster.slug}"
    sign_in(forum.member)
    client.get(path)  # both measured visits are second visits: caches (the calendar's) are warm
    few = queries_for(client, app, path)
    authors = [forum.member, forum.other, forum.facilitator]
    db.session.execute(insert(Thread), [
        {"cluster_id": forum.cluster.id, "author_id": authors[n % 3].id, "title": f"Thread {n}",
         "last_number": 1, "reply_count": 0, "last_poster_id": authors[(n + 1) % 3].id,
         "is_question": False, "is_pinned": n % 50 == 0, "is_locked": False}
        for n in range(500)])
    db.session.commit()
    assert "Thread 0" in _html(client.get(path))
    many = queries_for(client, app, path)
    assert many == few, (few, many)
    # The session with the person; the cluster with its counts and the person's standing; the page of
    # threads; the facilitators; the library's and the calendar's versions (their sections are kept).
    assert many == 6, many


def test_flag_queue_shows_open_flags_to_facilitators_and_hiding_clears_it(forum, client, sign_in):
    post = forum.reply(forum.thread())
    sign_in(forum.member)
    client.post(f"/p/{post.id}/flag", data={"reason": "Includes a last name"})
    assert client.get("/flags").status_code == 404  # members have no queue
    client.post("/sign-out")
    sign_in(forum.facilitator)
    queue = _html(client.get("/flags"))
    assert "Includes a last name" in queue
    assert "We send the TDM invitation to both workers." in queue  # the flagged text itself
    empty = _html(client.post(f"/p/{post.id}/hide", data={"reason": ""}))
    assert "Give a reason" in empty
    client.post(f"/p/{post.id}/hide", data={"reason": "Identifying detail"})
    assert "No open flags" in _html(client.get("/flags"))
    page = _html(client.get(f"/t/{post.thread_id}?page=1"))
    assert "Post hidden by a moderator: Identifying detail" in page
    assert "We send the TDM invitation" not in page


def test_moving_pinning_and_locking_need_a_moderator(forum, client, sign_in):
    thread = forum.thread()
    target = forum.add_cluster("Coordinated Case Planning", [forum.facilitator])
    db.session.commit()
    thread_id, target_id = thread.id, target.id
    sign_in(forum.member)
    client.post(f"/t/{thread_id}/pin")
    client.post(f"/t/{thread_id}/move", data={"cluster_id": target_id})
    db.session.expire_all()
    thread = db.session.get(Thread, thread_id)
    assert not thread.is_pinned and thread.cluster_id == forum.cluster.id
    client.post("/sign-out")
    sign_in(forum.facilitator)
    client.post(f"/t/{thread_id}/pin")
    client.post(f"/t/{thread_id}/lock")
    client.post(f"/t/{thread_id}/move", data={"cluster_id": target_id})
    db.session.expire_all()
    thread = db.session.get(Thread, thread_id)
    assert thread.is_pinned and thread.is_locked and thread.cluster_id == target_id


def test_facilitators_approve_requests_from_the_members_page(forum, client, sign_in):
    closed = forum.add_cluster("State Laws & Policies", [forum.facilitator], is_open=False)
    db.session.commit()
    sign_in(forum.outsider)
    assert "Ask to join" in _html(client.get(f"/clusters/{closed.slug}"))
    client.post(f"/clusters/{closed.slug}/join")
    assert "waiting for a facilitator" in _html(client.get(f"/clusters/{closed.slug}"))
    client.post("/sign-out")
    sign_in(forum.facilitator)
    page = _html(client.get(f"/clusters/{closed.slug}/members"))
    membership_id = re.search(r"/requests/(\d+)/approve", page).group(1)
    client.post(f"/clusters/{closed.slug}/requests/{membership_id}/approve")
    assert closed.membership_of(forum.outsider).status == "active"


def test_other_areas_sections_render_on_the_cluster_page_for_readers_only(forum, client, sign_in, app):
    from community import ui

    ui.add_section(app, "cluster", "core/_new_members.html",
                   lambda cluster, viewer: {"members": [forum.member], "total": 1})
    sign_in(forum.member)
    assert "New members" in _html(client.get(f"/clusters/{forum.cluster.slug}"))
    client.post("/sign-out")
    sign_in(forum.outsider)
    assert "New members" not in _html(client.get(f"/clusters/{forum.cluster.slug}"))


def _activity(forum, rounds):
    """Threads, replies, mentions, flags, watches and members: `rounds` times over."""
    for n in range(rounds):
        thread = forum.thread(author=forum.other, title=f"Joint case review practice {n}")
        post = forum.reply(thread, author=forum.other, body=f"@maria.lopez and @james.chen, round {n}")
        services.flag_post(post, forum.member, f"Check round {n}")
        notify.set_watch_level(forum.facilitator, "tracking", thread=thread)
        services.join_cluster(forum.cluster, forum.make_user())
        db.session.commit()


def test_list_pages_run_the_same_number_of_queries_for_more_items(forum, client, sign_in):
    pages = ["/clusters", "/notifications", "/notifications/settings", "/flags",
             f"/clusters/{forum.cluster.slug}/members", f"/people/{forum.other.handle}", "/"]
    facilitator_email = forum.facilitator.email

    def measure():
        counts = {}
        for path in pages:
            client.get(path)
            with count_queries() as counted:
                assert client.get(path).status_code == 200, path
            counts[path] = len(counted)
        return counts

    _activity(forum, 2)
    client.post("/sign-in", data={"email": facilitator_email, "password": "correct horse battery"})
    few = measure()
    _activity(forum, 6)
    many = measure()
    assert few == many


def test_facilitators_are_told_of_new_flags_and_see_what_waits_for_them_on_the_cluster_page(
        forum, client, sign_in):
    post = forum.reply(forum.thread())
    services.flag_post(post, forum.member, "Names a child")
    services.request_to_join(closed := forum.add_cluster("Closed Circle", [forum.facilitator],
                                                         is_open=False), forum.outsider)
    db.session.commit()
    kinds = [(n.kind, n.post_id) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == forum.facilitator.id))]
    assert ("flag", post.id) in kinds and ("join_request", None) in kinds
    assert not db.session.scalars(select(Notification).where(
        Notification.user_id == forum.member.id, Notification.kind == "flag")).all()
    sign_in(forum.facilitator)
    flag_note = next(n for n in db.session.scalars(select(Notification).where(
        Notification.user_id == forum.facilitator.id, Notification.kind == "flag")))
    assert client.get(f"/notifications/{flag_note.id}").location.endswith("/flags")
    assert "0 requests to join waiting" in _html(client.get(f"/clusters/{forum.cluster.slug}"))
    assert "1 open flag<" in _html(client.get(f"/clusters/{forum.cluster.slug}"))
    assert "1 request to join waiting" in _html(client.get(f"/clusters/{closed.slug}"))
    client.post("/sign-out")
    sign_in(forum.member)
    assert "open flag" not in _html(client.get(f"/clusters/{forum.cluster.slug}"))


def test_authors_are_told_when_their_post_is_hidden_or_their_thread_locked_or_moved(forum):
    thread = forum.thread()
    reply = forum.reply(thread)
    target = forum.add_cluster("Coordinated Case Planning", [forum.facilitator], [forum.member])
    services.hide_post(reply, forum.facilitator, "Too specific")
    services.set_locked(thread, forum.facilitator, True)
    services.set_locked(thread, forum.facilitator, False)
    services.move_thread(thread, forum.facilitator, target)
    db.session.commit()
    told = {(n.user_id, n.kind): n for n in db.session.scalars(select(Notification).where(
        Notification.kind.in_(("post_hidden", "thread_locked", "thread_moved"))))}
    assert set(told) == {(forum.other.id, "post_hidden"), (forum.member.id, "thread_locked"),
                         (forum.member.id, "thread_moved")}
    assert told[(forum.member.id, "thread_moved")].verb == "moved your thread to Coordinated Case Planning"
    assert told[(forum.other.id, "post_hidden")].thread_id == thread.id


def test_a_moderator_acting_on_their_own_thread_is_not_told(forum):
    thread = forum.thread(author=forum.facilitator)
    services.set_locked(thread, forum.facilitator, True)
    db.session.commit()
    assert not db.session.scalars(select(Notification).where(
        Notification.kind == "thread_locked")).all()


def test_the_clusters_page_lists_your_clusters_first(forum, client, sign_in):
    forum.add_cluster("Aardvark Practice Circle", [forum.other])
    db.session.commit()
    sign_in(forum.member)
    page = _html(client.get("/clusters"))
    mine, others = page.split("Your clusters")[1].split("Other clusters")
    assert "Family Engagement" in mine and "Aardvark Practice Circle" not in mine
    assert "Aardvark Practice Circle" in others


def test_thread_rows_show_who_started_who_replied_last_and_the_replies(forum, client, sign_in):
    thread = forum.thread()
    forum.reply(thread, author=forum.facilitator)
    sign_in(forum.other)
    page = _html(client.get(f"/clusters/{forum.cluster.slug}"))
    row = page.split('class="thread-item')[1].split("</li>")[0]
    assert '<span class="avatar" aria-hidden="true">JC</span>' in row  # James Chen started it
    assert "Last reply by </span>Maria Lopez" in row and 'aria-hidden="true">ML</span>' in row
    assert '<span class="count">1</span> reply' in row and "New" in row


def test_a_facilitator_edits_a_members_post_from_the_thread_page(forum, client, sign_in):
    post = forum.reply(forum.thread())
    sign_in(forum.facilitator)
    page = _html(client.get(f"/t/{post.thread_id}?page=1"))
    assert f'href="/p/{post.id}/edit"' in page
    assert "Edit post #2 by Tanya Brooks" in _html(client.get(f"/p/{post.id}/edit"))
    client.post(f"/p/{post.id}/edit", data={"body": "Shortened by the facilitator.", "submit": "Save changes"})
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_source == "Shortened by the facilitator."


def test_a_removed_threads_posts_are_not_reached_by_their_own_links(forum, client, sign_in):
    """A facilitator hides the opening post: the thread's posts answer 404 on every link of their
    own, with no redirect naming the thread, for a member who replied in it."""
    thread = forum.thread(title="Staffing the Rivera family's TDM")
    reply = forum.reply(thread)  # by forum.other
    opening = db.session.scalars(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).one()
    services.hide_post(opening, forum.facilitator, "names a family")
    db.session.commit()
    sign_in(forum.other)
    for path in (f"/p/{opening.id}", f"/p/{reply.id}", f"/p/{reply.id}/flag", f"/p/{opening.id}/flag",
                 f"/p/{reply.id}/edit"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Rivera" not in _html(response) + response.headers.get("Location", ""), path
    client.post(f"/p/{reply.id}/edit", data={"body": "An edit inside a removed thread"})
    assert db.session.get(Post, reply.id).body_source != "An edit inside a removed thread"


def test_a_hidden_or_deleted_post_is_not_quoted_by_the_flag_or_hide_page(forum, client, sign_in):
    thread = forum.thread()
    hidden = forum.reply(thread, body="KINGFISHER: the mother in our Whittier office case")
    deleted = forum.reply(thread, author=forum.member, body="OSPREY: a case I should not have named")
    visible = forum.reply(thread, body="We send the TDM invitation to both workers, always.")
    services.hide_post(hidden, forum.facilitator, "identifies a family")
    services.delete_post(deleted, forum.member)
    db.session.commit()
    sign_in(forum.other)
    for post in (hidden, deleted):
        for action in ("flag", "hide"):
            response = client.get(f"/p/{post.id}/{action}")
            assert response.status_code == 404, (post.id, action)
            assert "KINGFISHER" not in _html(response) and "OSPREY" not in _html(response)
    assert client.get(f"/p/{visible.id}/flag").status_code == 200
    assert client.get(f"/p/{visible.id}/hide").status_code == 404  # hiding is for moderators
    client.post("/sign-out")
    sign_in(forum.facilitator)
    assert client.get(f"/p/{visible.id}/hide").status_code == 200


def test_an_anonymous_visitor_is_not_sent_to_a_removed_public_thread(forum, client):
    public = forum.add_cluster("Linkages Announcements", [forum.facilitator], is_public=True)
    db.session.commit()
    news = forum.thread(author=forum.facilitator, cluster=public, title="Save the date in Sacramento")
    opening = db.session.scalars(select(Post).where(Post.thread_id == news.id)).one()
    services.hide_post(opening, forum.facilitator, "wrong date")
    db.session.commit()
    response = client.get(f"/p/{opening.id}")
    assert response.status_code == 404 and "Location" not in response.headers


def test_an_old_slug_link_keeps_its_page_and_nothing_else_of_its_query(forum, client, sign_in):
    thread = forum.thread(title="Warm handoffs at intake")
    sign_in(forum.member)
    for query in ("?thread_id=5", "?slug=x", "?endpoint=x", "?_method=POST", "?_external=1&_anchor=x",
                  "?page=1&_scheme=javascript"):
        response = client.get(f"/t/{thread.id}/an-old-title{query}")
        assert response.status_code == 302, query
        assert response.headers["Location"].startswith(f"/t/{thread.id}/{thread.slug}"), query
        assert "_" not in response.headers["Location"].split("?")[-1] and "#" not in response.headers["Location"]
    assert client.get(f"/t/{thread.id}/an-old-title?page=1").headers["Location"].endswith("?page=1")


def test_a_cluster_name_or_description_with_client_details_is_checked_like_a_post(forum, client, sign_in,
                                                                                   make_user):
    from community.clusters.models import Cluster

    sign_in(make_user(role="organizer", name="Renee Okafor"))
    typed = {"name": "Kinship placements", "is_open": "y",
             "description": "For the Rivera case: call the mother at (209) 555-0142 before the TDM."}
    response = client.post("/clusters/new", data=typed)
    page = _html(response)
    assert response.status_code == 422
    assert "Check this before it is saved" in page and "(209) 555-0142" in page
    assert 'value="Kinship placements"' in page and "confirm_not_client_data" in page
    assert db.session.scalar(select(Cluster.id).where(Cluster.name == "Kinship placements")) is None
    refused = _html(client.post("/clusters/new", data={**typed, "description": "SSN 123-45-6789"}))
    assert "This cannot be saved" in refused and "confirm_not_client_data" not in refused
    confirmed = client.post("/clusters/new", data={**typed, "confirm_not_client_data": "y"})
    assert confirmed.status_code == 302
    assert db.session.scalar(select(Cluster.id).where(Cluster.name == "Kinship placements")) is not None


def test_the_cluster_page_tells_each_viewer_their_own_place_and_level(forum, client, sign_in):
    """The page's counts and the viewer's membership and chosen level come from one statement:
    each viewer sees their own, and the member count leaves out requests waiting."""
    closed = forum.add_cluster("Closed Circle", [forum.facilitator], [forum.member], is_open=False)
    services.request_to_join(closed, forum.outsider)
    notify.set_watch_level(forum.member, "watching", cluster=closed)
    forum.thread(cluster=closed, author=forum.member, title="Warm hand-offs at intake")
    db.session.commit()
    path = f"/clusters/{closed.slug}"

    def selected_level(page):
        return re.search(r'<select[^>]*id="cluster-level".*?<option selected value="([a-z]+)"', page, re.S).group(1)

    sign_in(forum.facilitator)
    page = _html(client.get(path))
    assert "You are a facilitator" in page and "2 members" in page and "1 request to join waiting" in page
    assert selected_level(page) == "default"
    client.post("/sign-out")
    sign_in(forum.member)
    page = _html(client.get(path))
    assert "You are a member" in page and "request to join waiting" not in page
    assert selected_level(page) == "watching" and "Warm hand-offs at intake" in page
    client.post("/sign-out")
    sign_in(forum.outsider)
    page = _html(client.get(path))
    assert "Your request to join is waiting for a facilitator." in page
    assert "You are a" not in page and "Warm hand-offs at intake" not in page


def test_the_thread_page_shows_each_reader_their_own_level_and_takes_them_to_their_first_unread(
        forum, client, sign_in):
    thread = forum.thread(author=forum.member)
    forum.reply(thread, author=forum.other)
    notify.set_watch_level(forum.member, "tracking", thread=thread)
    notify.set_watch_level(forum.member, "muted", cluster=forum.cluster)  # the thread's own level wins
    services.mark_read(thread, forum.facilitator, 1)
    db.session.commit()

    def selected_level(page):
        return re.search(r'id="thread-level".*?<option selected value="([a-z]+)"', page, re.S).group(1)

    sign_in(forum.member)
    assert selected_level(_html(client.get(f"/t/{thread.id}?page=1"))) == "tracking"
    client.post("/sign-out")
    sign_in(forum.facilitator)
    assert client.get(f"/t/{thread.id}").location.endswith(f"/t/{thread.id}/{thread.slug}?page=1#post-2")
    assert selected_level(_html(client.get(f"/t/{thread.id}?page=1"))) == "default"
