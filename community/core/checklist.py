"""The getting-started checklist on a newcomer's home page.

The core knows one step (finish your profile); feature areas add theirs through the
`onboarding.steps` provider (join a peer cluster, choose how e-mail reaches you, subscribe to the
newsletter). The checklist shows until every step is done or the person hides it.
"""
from flask import url_for

from .. import content
from ..timeutil import utcnow


def steps_for(user):
    steps = [content.ChecklistStep(
        "Finish your profile", bool(user.title and user.bio),
        url_for("accounts.edit_profile"),
        "Your title and a line about your work tell colleagues who they are talking with.",
        order=30)]
    for offered in content.provide_all("onboarding.steps", user):
        steps.extend(offered)
    return sorted(steps, key=lambda step: step.order)


def section(user):
    """Home-page section: the steps, or None once all are done or the person hid the list."""
    if user.checklist_hidden_at is not None:
        return None
    steps = steps_for(user)
    done = sum(step.done for step in steps)
    if done == len(steps):
        return None
    return {"steps": steps, "done": done, "total": len(steps)}


def hide(user):
    user.checklist_hidden_at = utcnow()
