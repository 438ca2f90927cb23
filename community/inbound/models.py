"""What mail coming in is made of: the stored message, the parsed reply, a handler's verdict."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class InboundMessage(db.Model):
    """One message received; the unique key makes a second delivery of it a no-op."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the Message-ID (or of the bytes when there is none).
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: The message as received; emptied once it has been handled.
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    #: Envelope recipients given by the MTA, one per line (empty when it gave none).
    recipients: Mapped[str] = mapped_column(Text, default="")
    #: queued, then the handler's status (posted, held, refused …), ignored (auto-reply) or failed.
    status: Mapped[str] = mapped_column(String(30), default="queued", index=True)
    #: sha256 of the lower-cased sender address, to cap the answers sent to one address.
    sender_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]


@dataclass
class IncomingMail:
    """What a handler sees of a message: the cleaned reply and the facts it needs to judge it."""

    message_id: str
    #: The From: address, lower-cased, and the name beside it.
    sender: str
    sender_name: str
    subject: str
    #: Every address the message was for (envelope first, then To, Cc, Delivered-To), lower-cased.
    recipients: list
    #: The reply with quoted history, signatures and disclaimers cut (Markdown for HTML-only mail).
    text: str
    #: File names of attached files (inline images of a signature included).
    attachments: list = field(default_factory=list)
    #: False when the receiving MTA's Authentication-Results say SPF/DKIM/DMARC failed.
    authenticated: bool = True
    #: True when it came from an auto-responder (never handed to a handler).
    automatic: bool = False
    too_large: bool = False


@dataclass
class Handled:
    """A handler's verdict: `status` is stored; `answer` (subject, text) is mailed to the sender."""

    status: str
    answer: tuple | None = None
