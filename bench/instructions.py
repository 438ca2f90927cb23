"""Instructions per request, which a noisy machine does not change:
`python -m bench.instructions OTHER_CHECKOUT [--member EMAIL] [--requests N] PATH ...`.

On a shared virtual machine the same in-process page took 10 ms in one run and 19 ms in the
next, so a 15 % change cannot be seen in seconds. Valgrind's callgrind counts the instructions a
process executes instead (Python, SQLite and every library: the CPU work of a request, whatever
else the machine is doing). For this checkout and another (e.g. `git worktree add /tmp/before
<commit>`) it serves PATH ... in-process through the test client against INSTANCE_PATH /
DATABASE_URL (as `bench.profiling` does), once with no measured requests and once with N of each
path, and prints the difference per request: start-up and warm-up cancel out. Needs `valgrind`
(Debian's package); four processes run at once, each about 50 times slower than without it.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import ROOT

#: What each run does under valgrind: sign in, warm every path up, then N requests of each.
#: Pages kept under the current minute (the calendars' listings) are built in the warm-up, which
#: starts on a minute: both runs then build them once, as long as a run's requests take less than
#: a minute under valgrind (about 50 times their usual time).
_RUN = """
import sys
import time
from bench.profiling import _sign_in
from community import create_app
member, count, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
app = create_app({"RATELIMIT_ENABLED": False})
client = app.test_client(use_cookies=True)
if member:
    _sign_in(client, member, "linkages-demo")
while time.gmtime().tm_sec > 1:
    time.sleep(0.1)
for path in paths:
    for _ in range(3):
        client.get(path)
for path in paths:
    for _ in range(count):
        client.get(path)
"""


def _start(checkout, member, count, paths, out):
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(checkout), "RATELIMIT_ENABLED": "false"}
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", _RUN,
               member or "", str(count), *paths]
    return subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def _collected(process):
    _, errors = process.communicate()
    found = re.search(r"Collected : (\d+)", errors)
    if process.returncode or not found:
        sys.exit(f"valgrind failed ({process.returncode}):\n{errors[-2000:]}")
    return int(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("other", type=Path, help="the other checkout (the code before a change)")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--member", help="sign in as this person first (demo password)")
    parser.add_argument("--requests", type=int, default=20, help="measured requests of each path")
    options = parser.parse_args()
    checkouts = {"this checkout": ROOT, "other": options.other.resolve()}
    with tempfile.TemporaryDirectory() as folder:
        runs = {(label, count): _start(checkout, options.member, count, options.paths,
                                       Path(folder) / f"{label.replace(' ', '-')}-{count}.out")
                for label, checkout in checkouts.items() for count in (0, options.requests)}
        counts = {key: _collected(process) for key, process in runs.items()}
    requests = options.requests * len(options.paths)
    per_request = {label: (counts[label, options.requests] - counts[label, 0]) / requests for label in checkouts}
    print(f"\n## instructions per request, {' '.join(options.paths)} ({options.requests} of each)")
    for label, checkout in checkouts.items():
        print(f"{label} ({checkout}): {per_request[label] / 1e6:.2f} million")
    print(f"change: {per_request['this checkout'] / per_request['other'] - 1:+.1%}")


if __name__ == "__main__":
    main()
