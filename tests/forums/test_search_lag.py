"""While the worker has not indexed a change yet, search answers nothing from an item's old
state where its documents are rows of the same database (PostgreSQL): what was hidden, edited or
made less visible leaves the index in the commit that changes it, so no count, facet, prefix or
"did you mean" gives it away (`backend.on_content_narrowing`)."""
import re

import pytest

from community import jobs
from community.extensions import db
from community.forums import services
from community.forums.models import Post
from community.permissions import access_filter
from community.search import backend as search


def test_a_hidden_reply_and_an_edited_title_leave_the_index_in_the_same_commit(forum, backend):
    if backend != "postgresql":
        pytest.skip("a folder index (Whoosh) cannot take part in the database's transaction")
    thread = forum.thread(title="Warm handoffs for the Fresno family", body="How do you hand off?")
    reply = forum.reply(thread, body="The wolverinequasar family asked for a Spanish-speaking worker.")
    jobs.run_ready()  # the worker indexes both
    insider = access_filter(forum.member)
    assert search.search(insider, "wolverinequasar").total == 1
    assert search.search(insider, "fresno").total == 1

    opening = db.session.scalars(Post.in_thread(thread.id)).first()
    services.hide_post(reply, forum.facilitator, "Names a family.")
    services.edit_post(opening, forum.member, "How do you hand off?", title="Warm handoffs at intake")
    db.session.commit()  # no worker runs: the jobs that index the changes wait
    for query in ("wolverinequasar", "wolverine*", "fresno"):
        found = search.search(insider, query)
        assert (found.total, found.hits) == (0, []), query
        assert all(count == 0 for _, values in found.facets.values() for count in
                   [getattr(v, "count", 0) for v in values]), query
    assert search.search(insider, "wolverinequasr").suggestion == ""
    jobs.run_ready()  # the worker catches up: the edited thread is found by its new title
    assert re.sub(r"<[^>]+>", "", str(search.search(insider, "intake").hits[0].title)) == "Warm handoffs at intake"
    assert search.search(insider, "wolverinequasar").total == 0
