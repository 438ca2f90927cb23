"""Shared benchmark tools: serve an app under gunicorn, load it, compare with a bare Flask app.

Figures are requests per second measured on this machine in the same run as the baseline, so the
ratio (real page ÷ bare "hello") is what to compare between machines.
"""
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
#: Data sizes are multiplied by this (`python -m bench --quick` sets 0.1 for development runs).
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def scaled(count):
    """`count` at the current data scale (never below 1)."""
    return max(1, int(count * SCALE))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, seconds=30, what="the server"):
    """Return once something listens on `port`; raise if `process` exits first or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before serving")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError as refused:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: nothing served on port {port} after {seconds}s") from refused
            time.sleep(0.1)


@contextlib.contextmanager
def gunicorn(app_spec, env=None, workers=2, threads=1, cwd=ROOT):
    """Serve `app_spec` (e.g. "community:create_app()") with gunicorn, importing it from `cwd`
    (this checkout unless told); yield its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads),
               "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec]
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, process, 30, "gunicorn")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def _load_worker(args):
    url, seconds, threads, headers = args
    parts = urlparse(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies, errors, lock = [], [0], threading.Lock()
    stop = time.monotonic() + seconds

    def loop():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    with lock:
                        errors[0] += 1
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, errors[0]


def measure(url, seconds=5.0, processes=2, threads=4, headers=None, warmup=1.0):
    """Load `url` with keep-alive GETs; return requests/s, median and p95 latency (ms), errors."""
    if warmup:
        _load_worker((url, warmup, 2, headers or {}))
    with ProcessPoolExecutor(processes) as pool:
        results = list(pool.map(_load_worker, [(url, seconds, threads, headers or {})] * processes))
    latencies = [lat for lats, _ in results for lat in lats]
    errors = sum(err for _, err in results)
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2) if latencies else None,
        "errors": errors,
    }


def baseline(seconds=5.0, workers=2):
    """Requests/s of the bare "hello" Flask app under the same gunicorn settings."""
    with gunicorn("bench.hello_app:app", workers=workers) as base:
        return measure(base + "/", seconds=seconds)


def sign_in_cookie(base, email, password):
    """Sign in through the real form and return a Cookie header for later requests."""
    import re
    from http.cookies import SimpleCookie

    parts = urlparse(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", "/sign-in")
    response = conn.getresponse()
    page = response.read().decode()
    jar = SimpleCookie()
    jar.load(response.headers.get("Set-Cookie", ""))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    from urllib.parse import urlencode

    body = urlencode({"csrf_token": token, "email": email, "password": password})
    cookie = "; ".join(f"{k}={v.value}" for k, v in jar.items())
    conn.request("POST", "/sign-in", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"sign-in failed with {response.status}")
    jar.load(response.headers.get("Set-Cookie", ""))
    # The first page after signing in adds this session's CSRF token to the cookie; a browser
    # keeps that cookie, so the measured requests send it too (without it, every request would
    # make a token and set a new cookie, which no browser's session does twice).
    conn.request("GET", "/", headers={"Cookie": "; ".join(f"{k}={v.value}" for k, v in jar.items())})
    response = conn.getresponse()
    response.read()
    jar.load(response.headers.get("Set-Cookie", ""))
    return "; ".join(f"{k}={v.value}" for k, v in jar.items())


def report(name, rows, base=None):
    """Print rows as a table (with the ratio to the baseline) and save them as JSON."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    if base:
        for row in rows:
            if "rps" in row and base.get("rps"):
                row["ratio_to_bare_flask"] = round(row["rps"] / base["rps"], 3)
        rows = [{"what": "bare Flask 'hello' (baseline)", **base}] + rows
    keys = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    widths = {k: max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys}
    print(f"\n## {name}")
    print(" | ".join(k.ljust(widths[k]) for k in keys))
    print("-|-".join("-" * widths[k] for k in keys))
    for row in rows:
        print(" | ".join(str(row.get(k, "")).ljust(widths[k]) for k in keys))
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=2, default=str))
    return rows


def flask(env, *command):
    """Run `flask <command>` for a scenario's site (`env`: its instance folder and database)."""
    done = subprocess.run([sys.executable, "-m", "flask", *command], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"flask {' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def empty_database(url):
    """Empty the PostgreSQL database BENCH_DATABASE_URL names before a scenario builds its site in
    it (every scenario of a run uses the same one; SQLite databases live in each scenario's own
    temporary folder). Everything in its `public` schema is dropped: give the benchmark a database
    of its own."""
    if not url.startswith(("postgresql", "postgres:")):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")


def demo_site(env):
    """A scenario's site with its schema and the demo data, as `make run` makes it, in an empty
    database."""
    empty_database(env.get("DATABASE_URL") or "")
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")


def app_for(env, **overrides):
    """The site of a scenario (`env`: its instance folder and database), built in this process.

    `community.config` read the environment when an earlier scenario of the same run first
    imported it, so the folder and database are passed as overrides, never through os.environ.
    """
    from community import create_app

    return create_app({"INSTANCE_PATH": env["INSTANCE_PATH"],
                       "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or None, **overrides})
