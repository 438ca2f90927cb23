"""Demo library: placeholder replaced below."""


def seed_library():
    pass
