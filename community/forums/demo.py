"""Demo discussions."""


def seed_forums():
    pass
