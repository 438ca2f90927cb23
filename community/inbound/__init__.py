"""Mail coming in: replies people send from their mail client, handed to the feature that owns them.

Two ways in, both thin: `flask --app community mail receive` reads one RFC 5322 message on standard
input (what Postfix's `pipe` transport or an alias `|command` hands over), and `flask --app
community mail serve-inbound --port 2525` is an SMTP (or `--lmtp`) listener for an MX or relay.
Both only store the bytes (`accept`) and queue `process` as a job, so a slow database never keeps
the sending MTA waiting; both refuse messages over `REPLY_MAIL_MAX_BYTES`.

`accept` drops a message whose Message-ID was seen before (the same message delivered twice is
handled once). `process` parses the message, cleans the reply text (quoted history, "On … wrote:",
Outlook's "From: … Sent: …" block, signatures and disclaimers are cut by `mail-parser-reply`;
HTML-only mail becomes Markdown through `html2text`), ignores auto-replies entirely, and hands the
result to the provider registered as ``mail.reply_handler`` (the forums register theirs; the core
imports no feature). The handler returns a `Handled`; its `answer`, if any, goes back to the sender
as one short message marked ``Auto-Submitted: auto-replied`` — never to an auto-reply, never to
our own addresses, and at most `ANSWERS_PER_HOUR` to one address, so two robots cannot loop.

Reply addresses carry secrets: nothing here logs a recipient address or a message body.
"""
from .handling import ANSWERS_PER_HOUR, accept, enabled, max_bytes, process
from .models import Handled, InboundMessage, IncomingMail
from .reading import (attachment_names, authentication_passed, clean_reply, html_to_markdown,
                      is_automatic, parse, reply_text)
from .receiving import InboundHandler, init_app, listener, receive

__all__ = ["ANSWERS_PER_HOUR", "Handled", "InboundHandler", "InboundMessage", "IncomingMail", "accept",
           "attachment_names", "authentication_passed", "clean_reply", "enabled", "html_to_markdown",
           "init_app", "is_automatic", "listener", "max_bytes", "parse", "process", "receive",
           "reply_text"]
