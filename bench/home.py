"""Foundation scenario: the landing page and the signed-in home page against bare Flask.

It also measures the floor of every signed-in page: `/about` (static copy) signed in, which does
no more than any signed-in page must (read the session and its person, count the bell's unread
notifications, lay out the header and navigation). No signed-in page can be faster than that.
"""
import os
import tempfile

from bench.common import baseline, demo_site, gunicorn, measure, report, sign_in_cookie


def run(seconds=5.0):
    with tempfile.TemporaryDirectory() as instance:
        env = {"INSTANCE_PATH": instance, "RATELIMIT_ENABLED": "false", "FLASK_APP": "community",
               "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "")}
        demo_site(env)
        base = baseline(seconds)
        rows = []
        with gunicorn("community:create_app()", env=env) as url:
            rows.append({"what": "landing page (anonymous)", **measure(url + "/", seconds)})
            cookie = sign_in_cookie(url, "maria.lopez@stanislaus.example.gov", "linkages-demo")
            rows.append({"what": "home page (signed in)",
                         **measure(url + "/", seconds, headers={"Cookie": cookie})})
            rows.append({"what": "floor of a signed-in page: /about signed in",
                         **measure(url + "/about", seconds, headers={"Cookie": cookie})})
            rows.append({"what": "/about anonymous", **measure(url + "/about", seconds)})
        return report("home", rows, base)
