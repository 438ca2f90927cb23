"""Event operations, split by verb: events and agendas, registration, seats, notices, feedback,
listings, feeds and export.

Every function that acts for a person checks the permission policy, changes objects, flushes and
queues mail; the request or CLI command commits. The names below are the area's public verbs.
"""
from .caches import events_version
from .events import (EDITABLE, NOTIFY_ON, add_material, cancel_event, change_occurrence, create_event,
                     delete_session, organizer_choices, people_told_of_cancellation, publish_event,
                     save_session, session_of, set_recording, speaker_choices, update_event)
from .export import registrants_csv
from .feedback import feedback_of, feedback_summary, submit_feedback
from .feeds import (PUBLIC_FEED_HISTORY, calendar_token, chosen_sessions, feed_calendar, may_join, person_for_token,
                    personal_feed, public_feed)
from .listings import (Listed, active_clusters, event_page_facts, month_window, ListedCluster, Occurrence, agenda_of, check_in_list, month_weeks,
                       kept_occurrences, listing_html, occurrences_for, own_registrations, participants, registration_counts,
                       registration_marks,
                       registrations_for, registrations_of, render_markdown, upcoming_and_past, when_html)
from .notices import (NOTICES, OWN_CHANGES, may_hear_about, notify_registrations_ended, send_notice,
                      send_registrations_ended, send_reminders)
from .registration import (Answers, RegistrationClosed, cancel_registration, check_in, decide_registration,
                           end_cluster_registrations, end_registrations_out_of_sight, on_membership_ended,
                           register, update_answers, waiting_for_seat)
from .seats import SessionFull, lock_event, promote_waitlist

__all__ = [
    "EDITABLE", "NOTICES", "NOTIFY_ON", "OWN_CHANGES", "PUBLIC_FEED_HISTORY", "Answers", "Listed",
    "ListedCluster", "Occurrence", "active_clusters", "event_page_facts", "month_window", "RegistrationClosed", "SessionFull", "add_material", "agenda_of",
    "calendar_token", "chosen_sessions", "cancel_event", "cancel_registration", "change_occurrence",
    "check_in", "check_in_list", "create_event", "decide_registration", "delete_session",
    "end_cluster_registrations", "end_registrations_out_of_sight", "events_version", "feed_calendar",
    "feedback_of", "feedback_summary", "lock_event", "may_hear_about", "may_join", "month_weeks",
    "notify_registrations_ended", "kept_occurrences", "listing_html", "occurrences_for", "on_membership_ended", "organizer_choices",
    "own_registrations", "participants", "people_told_of_cancellation", "person_for_token",
    "personal_feed", "promote_waitlist", "public_feed", "publish_event", "register",
    "registrants_csv", "registration_counts", "registration_marks", "registrations_for", "registrations_of",
    "render_markdown", "save_session", "send_notice", "send_registrations_ended", "send_reminders",
    "session_of", "set_recording", "speaker_choices", "submit_feedback", "update_answers",
    "update_event", "upcoming_and_past", "waiting_for_seat", "when_html",
]
