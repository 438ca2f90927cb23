"""Kept posts and thread rows (forums/fragments.py): shared only where they are the same.

A kept fragment is found again by everything it shows and by what the viewer may do, so each
test here changes one of those — on another node, as another person, in another session — and
checks that the page follows.
"""
import re

from community.accounts.models import User
from community.extensions import db
from community.forums import services
from community.forums.fragments import CSRF_SLOT
from community.forums.models import Post


def _html(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _token(html):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_an_edit_on_another_node_shows_at_this_nodes_next_view(forum, client, sign_in, app_factory):
    thread = forum.thread()
    post = forum.reply(thread, body="We invite the Welfare-to-Work case manager by e-mail.")
    sign_in(forum.member)
    assert "by e-mail" in _html(client.get(f"/t/{thread.id}?page=1"))
    other_node = app_factory()  # its own memory, the same database
    with other_node.app_context():
        services.edit_post(db.session.get(Post, post.id), db.session.get(User, forum.other.id),
                           "We invite the Welfare-to-Work case manager by phone.")
        db.session.commit()
    db.session.commit()
    html = _html(client.get(f"/t/{thread.id}?page=1"))
    assert "by phone" in html and "by e-mail" not in html
    assert "· edited" in html


def test_a_new_name_and_a_helpful_mark_show_on_posts_already_kept(forum, client, sign_in):
    thread = forum.thread()
    post = forum.reply(thread)
    sign_in(forum.member)
    assert "Tanya Brooks" in _html(client.get(f"/t/{thread.id}?page=1"))
    forum.other.name = "Tanya Brooks-Alvarez"
    db.session.commit()
    client.post(f"/p/{post.id}/helpful")
    html = _html(client.get(f"/t/{thread.id}?page=1"))
    assert "Tanya Brooks-Alvarez" in html
    assert 'aria-pressed="true"' in html and "Helpful <span class=\"visually-hidden\">(post #2)</span> · 1" in html


def test_a_facilitators_buttons_never_reach_a_member_through_the_kept_posts(forum, client, sign_in, app):
    thread = forum.thread()
    forum.reply(thread)
    sign_in(forum.facilitator)
    facilitator_view = _html(client.get(f"/t/{thread.id}?page=1"))
    assert "/hide" in facilitator_view and "Redact" in facilitator_view
    client.post("/sign-out")
    sign_in(forum.member)
    member_view = _html(client.get(f"/t/{thread.id}?page=1"))
    assert "/hide" not in member_view and "Redact" not in member_view
    assert "/flag" in member_view  # a member flags others' posts
    with app.test_client() as visitor:  # not a member: not even the thread
        assert visitor.get(f"/t/{thread.id}?page=1").status_code in (302, 404)


def test_every_session_gets_its_own_csrf_token_in_kept_posts(forum, app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    thread = forum.thread()
    post = forum.reply(thread)
    tokens = []
    for person in (forum.member, forum.facilitator):
        client = app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        client.post("/sign-in", data={"csrf_token": _token(page), "email": person.email,
                                      "password": "correct horse battery"})
        html = _html(client.get(f"/t/{thread.id}?page=1"))
        assert CSRF_SLOT not in html
        in_posts = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
        assert len(in_posts) == 1, in_posts  # every form on the page carries this request's token
        tokens.append(in_posts.pop())
        # The kept post's form works: its token is this session's.
        response = client.post(f"/p/{post.id}/helpful", data={"csrf_token": tokens[-1]})
        assert response.status_code == 302, response.status_code
    assert tokens[0] != tokens[1]
    db.session.expire_all()
    assert db.session.get(Post, post.id).helpful_count == 2


def test_a_hidden_post_is_hidden_at_the_next_view_of_a_kept_thread(forum, client, sign_in):
    thread = forum.thread()
    post = forum.reply(thread, body="The family's case plan lists the appointments.")
    sign_in(forum.member)
    assert "appointments" in _html(client.get(f"/t/{thread.id}?page=1"))
    services.hide_post(post, forum.facilitator, "Names a family")
    db.session.commit()
    html = _html(client.get(f"/t/{thread.id}?page=1"))
    assert "appointments" not in html and "Post hidden by a moderator: Names a family" in html


def test_thread_rows_follow_new_replies_and_what_the_reader_has_read(forum, client, sign_in):
    thread = forum.thread(title="Joint case plans across programs")
    sign_in(forum.other)
    path = f"/clusters/{forum.cluster.slug}"
    assert "tag-new" in _html(client.get(path))  # never opened: new
    client.get(f"/t/{thread.id}")
    row = _html(client.get(path))
    assert "Joint case plans across programs" in row and "tag-new" not in row
    forum.reply(thread, author=forum.facilitator, body="Ours are signed by both workers.")
    row = _html(client.get(path))
    assert '<span class="count">1</span> reply' in row and "Maria Lopez" in row and "Unread posts" in row


def test_a_thread_pages_rights_are_the_policys_for_every_post(forum, app, make_user):
    """`ThreadPage` asks the policy once for the viewer's own posts and once for the others':
    for every viewer, every post gets exactly what the policy answers for that post."""
    from community.forums.fragments import ThreadPage
    from community.permissions import can

    thread = forum.thread()
    posts = [db.session.get(Post, post.id) for post in (
        forum.reply(thread, author=forum.facilitator), forum.reply(thread, author=forum.member),
        forum.reply(thread, author=forum.other), forum.reply(thread, author=forum.member))]
    services.hide_post(posts[2], forum.facilitator, "A family's name")
    db.session.commit()
    opening = db.session.scalars(Post.in_thread(thread.id)).first()
    admin = make_user(name="Ana Admin", email="ana@cfpic.example.org", role="admin")
    viewers = [forum.facilitator, forum.member, forum.other, admin]
    for viewer in viewers:
        with app.test_request_context():
            page = ThreadPage.build(thread, viewer, [opening, *posts], helpful=set())
            for post in (opening, *posts):
                rights = page.rights(post)
                assert (rights.may_edit, rights.may_redact) == (can(viewer, "edit", post),
                                                                 can(viewer, "redact", post)), (viewer.name, post.number)
                assert rights.mine == (post.author_id == viewer.id)
    # The answers differ between viewers and between posts, so asking once per ownership is tested.
    with app.test_request_context():
        assert can(forum.member, "edit", posts[1]) and not can(forum.member, "edit", posts[0])
        assert can(forum.facilitator, "redact", posts[1]) and not can(forum.member, "redact", posts[1])
