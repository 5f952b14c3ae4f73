"""Sign-in and accounts over real HTTP and the real `ncc` command line: the sign-in throttle (per
address, per username, apart from --rate), lock-out that looks like a wrong password, the absolute
session limit, the password policy, API key revocation and re-enabling a user, and whoami naming
what the caller may do."""
import json
import statistics
import subprocess
import time
import unittest

from harness import main, PASSWORD, Server

NCC = None


def post(server, conn, path, body):
    """(status, parsed body, headers) of one POST without a bearer token, on `conn`."""
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, json.loads(data), dict(resp.getheaders())


def login(server, conn, username, password):
    return post(server, conn, "/api/v1/auth/login", {"username": username, "password": password})


def ncc(*args, stdin=""):
    return subprocess.run([NCC] + list(args), input=stdin, capture_output=True, text=True)


class SignInThrottle(unittest.TestCase):
    """F9: the general limit is 100000/s here (the harness's --rate), yet password guessing from
    one address, or at one name, is refused with 429 and Retry-After."""

    def test_one_address_is_throttled_whatever_the_names(self):
        s = Server(NCC).start()
        try:
            conn = s.connection()
            self.addCleanup(conn.close)
            codes = []
            for k in range(100):
                status, body, headers = login(s, conn, f"ghost{k}", "wrong password")
                codes.append(status)
                if status == 429:
                    self.assertGreaterEqual(int(headers["Retry-After"]), 1)
                    self.assertIn("too many sign-in attempts", body["error"]["message"])
            self.assertIn(429, codes, "100 guesses from one address, never throttled")
            first = codes.index(429)
            # The documented burst is 60 per address (one went to the harness's own login).
            self.assertGreaterEqual(first, 50, codes)
            self.assertEqual(set(codes[:first]), {401}, codes)
            # Refresh takes from the same bucket: refused before the token is even looked at.
            status, _, headers = post(s, conn, "/api/v1/auth/refresh", {"refresh_token": "ncc_rt_x"})
            self.assertEqual(status, 429)
            self.assertGreaterEqual(int(headers["Retry-After"]), 1)
            # The rest of the API is not the sign-in throttle's business.
            self.assertEqual(s.request("GET", "/api/v1/incidents")[0], 200)
        finally:
            s.cleanup()

    def test_one_username_is_throttled_known_or_not(self):
        s = Server(NCC)
        try:
            s.add_user("target", "police", ["analyst"])
            s.start()
            conn = s.connection()
            self.addCleanup(conn.close)
            answers = {}
            for name in ("target", "nobody"):
                answers[name] = [login(s, conn, name, f"guess {k}")[0] for k in range(12)]
            self.assertEqual(answers["target"], [401] * 10 + [429] * 2, answers)
            self.assertEqual(answers["nobody"], answers["target"], "a known name must not stand out")
            status, _, headers = login(s, conn, "target", PASSWORD)
            self.assertEqual(status, 429)
            self.assertGreaterEqual(int(headers["Retry-After"]), 5)
            # Another name from the same address is not held back.
            self.assertEqual(login(s, conn, "tester", PASSWORD)[0], 200)
        finally:
            s.cleanup()


class LockOutLooksLikeAWrongPassword(unittest.TestCase):
    """F12: a locked account, a wrong password and an unknown user give the same answer at about
    the same cost."""

    def test_same_answer_and_about_the_same_cost(self):
        s = Server(NCC)
        try:
            for name in ("victim", "victim2", "other", "other2"):
                s.add_user(name, "police", ["analyst"])
            s.start()
            conn = s.connection()
            self.addCleanup(conn.close)
            for name in ("victim", "victim2"):
                for k in range(5):
                    self.assertEqual(login(s, conn, name, f"guess {k}")[0], 401)
            listed = ncc("user", "list", "--data", s.data_dir).stdout
            self.assertIn("victim\tpolice\tpolice:analyst\trestricted\tlocked", listed)

            def answer(name, password):
                status, body, headers = login(s, conn, name, password)
                return status, body, headers.get("WWW-Authenticate"), headers.get("Retry-After")

            wrong = answer("other", "wrong password")
            self.assertEqual(wrong[0], 401, wrong)
            self.assertEqual(answer("ghost", "wrong password"), wrong, "unknown user")
            self.assertEqual(answer("victim", "wrong password"), wrong, "locked, wrong password")
            self.assertEqual(answer("victim", PASSWORD), wrong, "locked, right password")

            # Rounds interleave the three kinds, so that a load spike on a shared machine falls
            # on all of them alike; 5 rounds keep each name under the 10-failure throttle.
            kinds = {"known": ("other2", "wrong password"), "unknown": ("ghost2", "wrong password"),
                     "locked": ("victim2", PASSWORD)}
            times = {kind: [] for kind in kinds}
            for _ in range(5):
                for kind, (name, password) in kinds.items():
                    t0 = time.perf_counter()
                    status = login(s, conn, name, password)[0]
                    times[kind].append(time.perf_counter() - t0)
                    self.assertEqual(status, 401, kind)
            known, unknown, locked = (statistics.median(times[k]) for k in ("known", "unknown", "locked"))
            self.assertGreaterEqual(unknown, known / 2, (unknown, known))
            self.assertGreaterEqual(locked, known / 2, (locked, known))
        finally:
            s.cleanup()


class SessionLimit(unittest.TestCase):
    """F17: refreshing does not extend a login past --session-max-hours."""

    def test_refresh_fails_once_the_session_is_over(self):
        s = Server(NCC, extra=["--session-max-hours", "0.002"])  # 7.2 s
        try:
            s.start()
            conn = s.connection()
            self.addCleanup(conn.close)
            started = time.monotonic()
            status, session, _ = login(s, conn, "tester", PASSWORD)
            self.assertEqual(status, 200, session)
            for _ in range(2):
                time.sleep(1)
                status, session, _ = post(s, conn, "/api/v1/auth/refresh",
                                          {"refresh_token": session["refresh_token"]})
                self.assertEqual(status, 200, session)
                self.assertLessEqual(session["expires_in"], 8)
            time.sleep(max(0, 7.2 + 0.5 - (time.monotonic() - started)))
            status, body, _ = post(s, conn, "/api/v1/auth/refresh", {"refresh_token": session["refresh_token"]})
            self.assertEqual(status, 401, body)
            self.assertEqual(body["error"]["message"], "session expired; sign in again")
            self.assertEqual(s.request("GET", "/api/v1/incidents", token=session["access_token"])[0], 401)
            self.assertEqual(login(s, conn, "tester", PASSWORD)[0], 200, "a new login works")
        finally:
            s.cleanup()


class PasswordPolicy(unittest.TestCase):
    """F19: `ncc user add` and `ncc user passwd` refuse weak passwords with a reason and exit 1."""

    def test_weak_passwords_are_refused(self):
        s = Server(NCC)  # not started: the commands work on the data folder
        try:
            for weak, why in (("a", "at least 12 characters"), (" ", "at least 12 characters"),
                              (" " * 16, "only whitespace"), ("1q2w3e4r5t6y", "too common or too simple")):
                done = ncc("user", "add", "--data", s.data_dir, "--agency", "police", "--role", "analyst",
                           "weak", stdin=weak + "\n")
                self.assertEqual(done.returncode, 1, (weak, done.stdout, done.stderr))
                self.assertIn(why, done.stderr, weak)
            self.assertNotIn("weak", ncc("user", "list", "--data", s.data_dir).stdout)
            done = ncc("user", "passwd", "--data", s.data_dir, "tester", stdin="a\n")
            self.assertEqual(done.returncode, 1, done.stderr)
            self.assertIn("at least 12 characters", done.stderr)
            # The harness's own password passes (it made `tester`), and still signs in.
            s.start()
            s.login("tester")
        finally:
            s.cleanup()


class KeysAndAccounts(unittest.TestCase):
    """F20: an API key revoked while the server runs is refused at its next request; a disabled
    user can be enabled again."""

    def test_revoked_key_gets_401_from_a_running_server(self):
        s = Server(NCC).start()
        try:
            done = ncc("apikey", "add", "--data", s.data_dir, "--agency", "police", "--lane", "positions", "gw1")
            self.assertEqual(done.returncode, 0, done.stderr)
            key = done.stdout.strip().split()[-1]
            auth = {"Authorization": "ApiKey " + key}
            # Signed in: a positions key reads no incidents (403 naming the right), but it is signed in.
            status, body = s.request("GET", "/api/v1/incidents", headers=auth, token=False)
            self.assertEqual(status, 403, body)
            self.assertIn("incident.read", body["error"]["message"])
            listed = ncc("apikey", "list", "--data", s.data_dir)
            self.assertEqual(listed.stdout, "gw1\tpolice\tpositions\trestricted\n")
            done = ncc("apikey", "revoke", "--data", s.data_dir, "gw1")
            self.assertEqual(done.returncode, 0, done.stderr)
            status, body = s.request("GET", "/api/v1/incidents", headers=auth, token=False)
            self.assertEqual(status, 401, body)
            status, body = s.request("POST", "/api/v1/positions", [], headers=auth, token=False)
            self.assertEqual(status, 401, body)
            self.assertIn("revoked", ncc("apikey", "list", "--data", s.data_dir).stdout)
            self.assertEqual(ncc("apikey", "revoke", "--data", s.data_dir, "gw9").returncode, 1)
        finally:
            s.cleanup()

    def test_enable_undoes_disable(self):
        s = Server(NCC)
        try:
            s.add_user("ole", "police", ["analyst"])
            s.start()
            conn = s.connection()
            self.addCleanup(conn.close)
            token = s.login("ole")
            self.assertEqual(ncc("user", "disable", "--data", s.data_dir, "ole").returncode, 0)
            self.assertEqual(s.request("GET", "/api/v1/incidents", token=token)[0], 401)
            self.assertEqual(login(s, conn, "ole", PASSWORD)[0], 403)
            done = ncc("user", "enable", "--data", s.data_dir, "ole")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(login(s, conn, "ole", PASSWORD)[0], 200)
            self.assertEqual(ncc("user", "enable", "--data", s.data_dir, "nobody").returncode, 1)
        finally:
            s.cleanup()


class WhoAmI(unittest.TestCase):
    def test_whoami_names_what_the_caller_may_do_from_the_servers_table(self):
        # The console decides which buttons to show from this, never from a table of its own.
        s = Server(NCC)
        try:
            s.add_user("desk", "police", ["dispatcher"])
            s.add_user("chief", "police", ["supervisor"])
            s.start()
            status, me = s.request("GET", "/api/v1/whoami", token=s.login("desk"))
            self.assertEqual(status, 200, me)
            actions = me["actions"]
            for granted in ["incident.create", "incident.assign", "incident.update_status", "unit.update_status"]:
                self.assertEqual(actions.get(granted), ["police"], granted)
            for refused in ["warning.issue", "user.manage", "record.classify", "position.report", "alarm.report"]:
                self.assertNotIn(refused, actions)
            # What whoami says is what the server enforces: a dispatcher may not issue a warning.
            status, _ = s.request("POST", "/api/v1/alerts", {}, token=s.login("desk"))
            self.assertEqual(status, 403)
            status, me = s.request("GET", "/api/v1/whoami", token=s.login("chief"))
            self.assertEqual(me["actions"].get("warning.issue"), ["police"])
        finally:
            s.cleanup()


if __name__ == "__main__":
    main()
