"""Profile pages in-process: `python -m bench.profiling [--member EMAIL] PATH ...`.

Serves each path through the Flask test client against the database in DATABASE_URL /
INSTANCE_PATH (the demo data by default), warms it up, then reports milliseconds per request
(wall and this process's CPU: on a shared, loaded machine compare the CPU figures), SQL
statements per request and the functions where the time goes (cProfile, cumulative).
"""
import argparse
import cProfile
import io
import pstats
import re
import time


def _sign_in(client, email, password):
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed with {response.status_code}")


def profile(paths, member=None, password="linkages-demo", repeat=50, top=25, config=None):
    from sqlalchemy import event

    from community import create_app
    from community.extensions import db

    app = create_app({"RATELIMIT_ENABLED": False, **(config or {})})
    client = app.test_client(use_cookies=bool(member))
    if member:
        _sign_in(client, member, password)
    statements = [0]
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
    summary = []
    for path in paths:
        for _ in range(3):
            status = client.get(path).status_code
        statements[0] = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(repeat):
            client.get(path)
        elapsed = (time.perf_counter() - started) / repeat
        cpu = (time.process_time() - cpu_started) / repeat
        queries = statements[0] / repeat
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            client.get(path)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
        print(f"\n=== {path} (status {status}): {elapsed * 1000:.2f} ms/request ({cpu * 1000:.2f} ms CPU), "
              f"{queries:.1f} queries/request")
        print("\n".join(out.getvalue().splitlines()[6:]))
        summary.append((path, status, round(elapsed * 1000, 2), round(cpu * 1000, 2), queries))
    print("\npath | status | ms/request | CPU ms/request | queries/request")
    for row in summary:
        print(" | ".join(str(v) for v in row))
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--member", help="sign in as this person first (demo password)")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    options = parser.parse_args()
    profile(options.paths, options.member, repeat=options.repeat, top=options.top)


if __name__ == "__main__":
    main()
