"""Runs one area's checks of the Tractor protocol against a running engine.

    python3 run_area.py HOST PORT USER PASSWORD AREA

More accounts the engine has (for checks that need another user) come in $TRACTOR_ACCOUNTS as NAME:PASSWORD,...

AREA names a module test_AREA.py here whose check_* functions each take a Context. Prints one line per check
("PASS name" or "FAIL name: why") and exits 1 when any failed, 2 on bad usage.
"""

import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tractor_client import TractorClient  # noqa: E402


# The session each user last logged in with, by user name (Context.logged_in).
_sessions = {}


class Context:
    def __init__(self, host, port, user, password):
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.accounts = dict(a.split(":", 1) for a in os.environ.get("TRACTOR_ACCOUNTS", "").split(",") if a)

    def client(self, user=None):
        """A new client for `user` (default the test's user), not logged in."""
        return TractorClient(self.host, self.port, user or self.user)

    def logged_in(self):
        return self._log_in(self.user, self.password)

    def logged_in_as(self, user):
        """A client logged in as another account of $TRACTOR_ACCOUNTS."""
        return self._log_in(user, self.accounts[user])

    def _log_in(self, user, password):
        # A session outlives the check that opened it, as a Tractor client's does: later checks take the user's session
        # while the engine still answers to it, so an area of many checks does not sit out the login limit below.
        tsid = _sessions.get(user)
        if tsid is not None:
            c = self.client(user)
            c.tsid = tsid
            status = c.transaction("ctrl", {"q": "status"})
            if status.status == 200 and status.json().get("user") == user:
                return c
        # The engine takes a burst of 20 logins from one address, then one every 3 s, and says when to come back (429 with
        # Retry-After): an area with many checks waits as a well-behaved client does, rather than failing at the 21st.
        for _ in range(20):
            c = self.client(user)
            reply = c.login(password)
            if c.tsid or reply.status != 429:
                break
            time.sleep(int(reply.headers.get("retry-after", "3")))
        assert c.tsid, "login as %s failed: %r" % (user, reply)
        _sessions[user] = c.tsid
        return c


def main(argv):
    if len(argv) != 6:
        print(__doc__)
        return 2
    host, port, user, password, area = argv[1], int(argv[2]), argv[3], argv[4], argv[5]
    module = importlib.import_module("test_" + area)
    checks = [(name, f) for name, f in vars(module).items() if name.startswith("check_") and callable(f)]
    if not checks:
        print("no check_* functions in test_%s.py" % area)
        return 2
    failed = 0
    for name, check in checks:
        try:
            check(Context(host, port, user, password))
            print("PASS %s" % name)
        except Exception:  # noqa: BLE001 - every failure is reported, then the next check runs
            failed += 1
            print("FAIL %s: %s" % (name, traceback.format_exc()))
        sys.stdout.flush()
    print("%d passed, %d failed" % (len(checks) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
