"""The wire template that sends an issue says exactly what the one-message builder says."""
from email import message_from_bytes
from email.policy import default

import pytest

from community.extensions import db
from newsletters import services
from newsletters.rendering import WireTemplate, build_issue_message, render_issue
from tests.conftest import html_of, text_of

LONG_URL = ("https://linkages.example.org/newsletter/unsubscribe/"
            "WzEyMzQsIm1hcmlhLmRlbC5jYXJtZW4uaGVybmFuZGV6QGV4YW1wbGUuZ292Il0.abc-DEF_123=x")

RECIPIENTS = [
    ("reader@county1.example.gov", "Reader One"),
    ("maria@county2.example.gov", "María del Carmen Hernández-Villalobos"),
    ("quoted@county3.example.gov", 'Okafor, Renee "Ren"'),
    ("nameless@county4.example.gov", ""),
]


@pytest.mark.parametrize("address, name", RECIPIENTS)
def test_each_recipients_wire_bytes_parse_to_the_message_the_builder_makes(
        app, organizer, compose_issue, address, name):
    issue = compose_issue(organizer)
    # A body with what quoted-printable must escape: '=', long lines, non-ASCII, a dot line.
    services.save_block(organizer, issue, "story", "Equals = signs and ünïcode",
                        "A = B " + "long words " * 40 + "\n\n.\n\nend with trailing space ")
    db.session.commit()
    rendered = render_issue(issue)
    message_id = f"<newsletter-{issue.id}-7@linkages.example.org>"
    expected = build_issue_message(rendered, address, name, LONG_URL, LONG_URL + "p", message_id)
    raw = WireTemplate(rendered).for_recipient(address, name, LONG_URL, LONG_URL + "p", message_id)
    got = message_from_bytes(raw, policy=default)

    for header in ("From", "To", "Subject", "Message-ID", "List-Id", "List-Unsubscribe",
                   "List-Unsubscribe-Post", "List-Archive", "Precedence", "MIME-Version"):
        assert str(got[header]) == str(expected[header]), header
    assert got["Date"]
    assert got.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in got.iter_parts()] == ["text/plain", "text/html"]
    assert text_of(got).replace("\r\n", "\n").rstrip("\n") == text_of(expected).rstrip("\n")
    assert html_of(got).replace("\r\n", "\n").rstrip("\n") == html_of(expected).rstrip("\n")
    assert LONG_URL in html_of(got) and LONG_URL + "p" in text_of(got)
    lines = raw.split(b"\r\n")
    body = lines[raw[:raw.index(b"\r\n\r\n")].count(b"\r\n") + 2:]
    assert [line for line in body if len(line) > 78] == []
    assert b"\n" not in raw.replace(b"\r\n", b"")
