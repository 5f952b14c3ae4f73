"""Operation plans through the real server (issue 15): the shipped Fleet Week plan for Marina
Green defined, approved by a supervisor of each of its three agencies, activated and worked;
who may see and do what; a decision point fired by a real alarm in its sector exactly once,
also across kill -9; the synchronization matrix and ICS forms as pages; bad documents refused
naming the field; activation making the plan live (postings as move-ups, a task's incident and
assignment) exactly once across kill -9; the PDF pages printed by the server's chromium under the
same permission; plan and report reads in the audit trail; an active plan's postings as move-ups
in GET /api/v1/coverage for its readers only. NCC_PLAN_PAGES=DIR keeps the pages."""
import binascii
import copy
import json
import os
import re
import subprocess
import time
import unittest

from harness import Server, main, seed_fleet_week, now_ms

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "config", "operations", "fleet-week-marina-green.json")
MARINA_GREEN = {"lat": 37.8066, "lon": -122.4376}  # inside sector A
FORT_MASON = {"lat": 37.8060, "lon": -122.4300}  # inside sector B
WEST_LAWN = {"lat": 37.8055, "lon": -122.4420}  # inside sector A, 400 m from MARINA_GREEN
CHROMIUM = os.environ.get("NCC_CHROMIUM", "/usr/bin/chromium")
HAVE_CHROMIUM = os.path.exists(CHROMIUM)

USERS = {  # name: (agency, roles)
    "lead": ("sffd", ["supervisor"]),
    "fire-dispatch": ("sffd", ["dispatcher"]),
    "ems-sup": ("ems_private", ["supervisor"]),
    "ems-dispatch": ("ems_private", ["dispatcher"]),
    "pd-sup": ("sfpd", ["supervisor"]),
    "pd-dispatch": ("sfpd", ["dispatcher"]),
    "outsider": ("coast_guard", ["supervisor"]),
    "KM09": ("ems_private", ["field_unit"]),  # the ambulance's crew reports its own position
}


def example():
    with open(EXAMPLE) as f:
        return json.load(f)


def iso(seconds_from_now):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


def running_now():
    """The example moved to now: arrival running (started an hour ago), the show and dispersal
    to come."""
    plan = example()
    plan["start"], plan["end"] = iso(-3600), iso(5 * 3600)
    times = [(-3600, 3600), (3600, 3 * 3600), (3 * 3600, 5 * 3600)]
    for phase, (start, end) in zip(plan["phases"], times):
        phase["start"], phase["end"] = iso(start), iso(end)
    for task in plan["tasks"]:
        task.pop("start", None)
        task.pop("deadline", None)
    return plan


def pdf_title(data):
    """The /Title of a PDF's information dictionary (chromium writes the page's <title>), as a
    literal string or UTF-16BE hex."""
    m = re.search(rb"/Title\s*\(((?:\\.|[^\\)])*)\)", data)
    if m:
        return re.sub(rb"\\(.)", rb"\1", m.group(1)).decode("latin-1")
    m = re.search(rb"/Title\s*<([0-9A-Fa-f\s]+)>", data)
    if m:
        raw = binascii.unhexlify(re.sub(rb"\s", b"", m.group(1)))
        return raw.decode("utf-16") if raw[:2] == b"\xfe\xff" else raw.decode("latin-1")
    return ""


class Plans(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = s = Server(NCC, extra=["--chromium", CHROMIUM if HAVE_CHROMIUM else "none"])
        for name, (agency, roles) in USERS.items():
            s.add_user(name, agency, roles, "secret")
        done = subprocess.run([NCC, "apikey", "add", "--data", s.data_dir, "--agency", "sffd", "--lane", "alarms",
                               "--clearance", "restricted", "marina-cctv"], capture_output=True, text=True, check=True)
        cls.alarm_key = done.stdout.strip().split()[-1]
        s.start()
        cls.tokens = {}
        cls.sign_in()
        seed_fleet_week(s, lambda who, path, body: cls.call(who, "POST", path, body))

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    @classmethod
    def sign_in(cls):
        for name in USERS:
            cls.tokens[name] = cls.s.login(name)

    @classmethod
    def call(cls, who, method, path, body=None):
        return cls.s.request(method, path, body, token=cls.tokens[who])

    def ok(self, who, method, path, body=None, expect=200):
        status, answer = self.call(who, method, path, body)
        self.assertEqual(status, expect, (who, method, path, answer))
        return answer

    def refused(self, who, method, path, body, status, field=None, words=""):
        got, answer = self.call(who, method, path, body)
        self.assertEqual(got, status, (who, method, path, answer))
        if field is not None:
            self.assertEqual(answer["error"].get("field"), field, answer)
        self.assertIn(words, answer["error"]["message"])
        return answer

    def plan(self, pid, who="lead"):
        return self.ok(who, "GET", f"/api/v1/operations/{pid}")["plan"]

    def alarm(self, alarm_id, at):
        status, body = self.s.request("POST", "/api/v1/alarms", {
            "id": alarm_id, "kind": "cctv", "source": "marina-cctv", "time": now_ms() - 500, "location": at,
            "details": "crowd density analytic"}, token=False, headers={"Authorization": "ApiKey " + self.alarm_key})
        self.assertIn(status, (200, 201), body)  # 200: merged into an incident nearby

    def wait_for(self, check, seconds=10):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if check():
                return True
            time.sleep(0.1)
        return False

    def events(self, who):
        """Every event `who` may see. A page holds what the reader may see of the seqs it scanned
        (up to last_seq): it can be short, or empty, with more after it, so the walk goes on until
        the head."""
        events, after = [], 0
        while True:
            page = self.ok(who, "GET", f"/api/v1/events?after={after}&limit=1000")
            events += page["items"]
            if page["last_seq"] >= page["head"] or page["last_seq"] <= after:
                return events
            after = page["last_seq"]

    def fired(self, point):
        return [e for e in self.events("lead") if e["type"] == "decision_point_fired" and e["data"]["point"] == point]

    def define_active_plan(self):
        pid = self.ok("lead", "POST", "/api/v1/operations", example(), expect=201)["id"]
        for who in ("lead", "ems-sup", "pd-sup"):
            self.ok(who, "POST", f"/api/v1/operations/{pid}/approval", {"revision": 1})
        self.ok("lead", "POST", f"/api/v1/operations/{pid}/status", {"to": "active"})
        return pid

    def test_1_lifecycle_and_who_may_do_what(self):
        pid = self.ok("lead", "POST", "/api/v1/operations", example(), expect=201)["id"]
        # Participants read it; an agency outside the plan does not learn it exists.
        for who in ("ems-dispatch", "pd-dispatch"):
            self.assertEqual(self.plan(pid, who)["name"], "Fleet Week air show, Marina Green")
        self.refused("outsider", "GET", f"/api/v1/operations/{pid}", None, 404, "id")
        self.refused("outsider", "GET", f"/api/v1/operations/{pid}/matrix.html", None, 404, "id")
        listed = self.ok("outsider", "GET", "/api/v1/operations")["items"]
        self.assertNotIn(pid, [p["id"] for p in listed])
        # Approval: a supervisor of each participating agency, of the revision read.
        self.refused("ems-dispatch", "POST", f"/api/v1/operations/{pid}/approval", {"revision": 1}, 403)
        self.refused("outsider", "POST", f"/api/v1/operations/{pid}/approval", {"revision": 1}, 404)
        self.refused("lead", "POST", f"/api/v1/operations/{pid}/status", {"to": "active"}, 409, "to",
                     "only an approved plan")
        self.ok("lead", "POST", f"/api/v1/operations/{pid}/approval", {"revision": 1})
        self.ok("ems-sup", "POST", f"/api/v1/operations/{pid}/approval", {"revision": 1})
        # A revision by the lead resets the approvals; approving the old one is refused.
        revised = example()
        revised["objectives"].append("Report every lost child to the sfpd desk within 5 minutes.")
        self.refused("pd-sup", "POST", f"/api/v1/operations/{pid}/revision", revised, 403)
        self.ok("lead", "POST", f"/api/v1/operations/{pid}/revision", revised)
        self.assertEqual(self.plan(pid)["approvals"], [])
        self.refused("pd-sup", "POST", f"/api/v1/operations/{pid}/approval", {"revision": 1}, 409, "revision")
        for who in ("lead", "ems-sup", "pd-sup"):
            self.ok(who, "POST", f"/api/v1/operations/{pid}/approval", {"revision": 2})
        self.assertEqual(self.plan(pid)["status"], "approved")
        # Only the lead agency runs it.
        self.refused("pd-sup", "POST", f"/api/v1/operations/{pid}/status", {"to": "active"}, 403)
        self.ok("lead", "POST", f"/api/v1/operations/{pid}/status", {"to": "active", "reason": "gates open"})
        # Tasks: the owner agency works its own; predecessors first unless a reason is given.
        self.refused("ems-dispatch", "POST", f"/api/v1/operations/{pid}/tasks/P1", {"to": "in_progress"}, 403,
                     "task")
        self.ok("pd-dispatch", "POST", f"/api/v1/operations/{pid}/tasks/P1", {"to": "in_progress"})
        self.ok("pd-dispatch", "POST", f"/api/v1/operations/{pid}/tasks/P1/checklist", {"item": 0, "done": True})
        self.refused("fire-dispatch", "POST", f"/api/v1/operations/{pid}/tasks/F1", {"to": "in_progress"}, 409,
                     "after", "task P1 has not ended")
        self.ok("fire-dispatch", "POST", f"/api/v1/operations/{pid}/tasks/F1",
                {"to": "in_progress", "reason": "lane closed early by CHP"})
        shown = self.ok("ems-dispatch", "GET", f"/api/v1/operations/{pid}")
        tasks = {t["id"]: t for t in shown["plan"]["tasks"]}
        self.assertEqual(tasks["F1"]["override_reason"], "lane closed early by CHP")
        self.assertTrue(tasks["P1"]["checklist"][0]["done"])
        self.assertIn("M2", shown["progress"]["blocked"])
        # The matrix: phases as columns, agencies as rows.
        m = self.ok("pd-dispatch", "GET", f"/api/v1/operations/{pid}/matrix")
        self.assertEqual([c["phase"] for c in m["columns"]], ["arrival", "show", "dispersal"])
        self.assertEqual([r["agency"] for r in m["rows"]], ["sffd", "ems_private", "sfpd"])
        self.assertEqual([t["id"] for t in m["rows"][2]["cells"][0]["tasks"]], ["P1"])
        self.ok("lead", "POST", f"/api/v1/operations/{pid}/status", {"to": "closed"})

    def test_2_a_decision_point_fires_once_on_a_real_alarm_across_kill9(self):
        pid = self.define_active_plan()
        self.alarm("marina-cam-1", FORT_MASON)  # cctv, but in sector B
        time.sleep(1.5)
        self.assertEqual({t["id"]: t for t in self.plan(pid)["tasks"]}["F3"]["status"], "held")
        self.alarm("marina-cam-2", MARINA_GREEN)
        self.assertTrue(self.wait_for(
            lambda: {t["id"]: t for t in self.plan(pid)["tasks"]}["F3"]["status"] == "planned"))
        self.assertEqual(len(self.fired("crowd-A")), 1)
        self.s.kill9()
        self.s.start()
        self.sign_in()
        self.assertEqual({t["id"]: t for t in self.plan(pid)["tasks"]}["F3"]["status"], "planned")
        self.alarm("marina-cam-3", MARINA_GREEN)
        time.sleep(2.5)
        fired = [e for e in self.fired("crowd-A") if e["data"]["id"] == pid]
        self.assertEqual(len(fired), 1, fired)
        self.assertIn("marina-cam-2", fired[0]["data"]["trigger"])
        # By hand it is refused too.
        self.refused("lead", "POST", f"/api/v1/operations/{pid}/decision-points/crowd-A", {}, 409, "point",
                     "fired already")

    def test_3_pages_are_text_never_markup(self):
        doc = example()
        doc["tasks"][0]["title"] = "<script>alert(1)</script> close the lane"
        pid = self.ok("lead", "POST", "/api/v1/operations", doc, expect=201)["id"]
        conn = self.s.connection()
        for page in ("matrix.html", "forms.html"):
            conn.request("GET", f"/api/v1/operations/{pid}/{page}",
                         headers={"Authorization": "Bearer " + self.tokens["pd-dispatch"]})
            resp = conn.getresponse()
            html = resp.read().decode()
            self.assertEqual(resp.status, 200)
            self.assertTrue(resp.getheader("Content-Type").startswith("text/html"))
            self.assertIn("default-src 'none'", resp.getheader("Content-Security-Policy"))
            self.assertNotIn("<script>", html)
            self.assertIn("&lt;script&gt;", html)
        conn.close()
        keep = os.environ.get("NCC_PLAN_PAGES")
        if keep:  # the shipped plan's pages as docs/plans/ shows them
            os.makedirs(keep, exist_ok=True)
            shown = self.ok("lead", "POST", "/api/v1/operations", example(), expect=201)["id"]
            for page in ("matrix.html", "forms.html"):
                status, html = self.call("lead", "GET", f"/api/v1/operations/{shown}/{page}")
                with open(os.path.join(keep, "fleet-week-" + page), "w") as f:
                    f.write(html)

    def test_4_bad_documents_are_refused_naming_the_field(self):
        cases = []
        doc = example()
        doc["tasks"][1]["after"] = ["P9"]
        cases.append((doc, 404, "tasks[1].after[0]", "no task P9"))
        doc = example()
        doc["venue2"] = "x"
        cases.append((doc, 400, "venue2", "unknown field"))
        doc = example()
        doc["sectors"][0]["polygon"]["coordinates"] = [[[-122.44, 37.80], [-122.43, 37.80]]]
        cases.append((doc, 422, "sectors[0].polygon", "3 to 1000 vertices"))
        doc = example()
        doc["tasks"][0]["after"] = ["P3"]
        cases.append((doc, 422, "tasks[0].after", "depends on itself"))
        doc = example()
        doc["decision_points"][0]["when"] = "sometimes"
        cases.append((doc, 422, "decision_points[0].when", "must be alarm"))
        doc = example()
        doc["tasks"] = [copy.deepcopy(doc["tasks"][0])] * 1001
        cases.append((doc, 400, "tasks", "more than 1000"))
        for body, status, field, words in cases:
            with self.subTest(field=field):
                self.refused("lead", "POST", "/api/v1/operations", body, status, field, words)
        got, answer = self.s.request("POST", "/api/v1/operations", raw=b'{"name": ', token=self.tokens["lead"])
        self.assertEqual(got, 400, answer)

    def test_5_situation_reports_count_only_what_their_audience_may_see(self):
        pid = self.define_active_plan()
        before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
        time.sleep(1.1)
        self.alarm("marina-cam-9", WEST_LAWN)  # a new sffd incident, not shared with sfpd
        self.assertTrue(self.wait_for(lambda: self.ok("lead", "GET", "/api/v1/incidents")["items"]))
        own = self.ok("lead", "POST", "/api/v1/sitreps", {"title": "Fleet Week 14:00", "plan": pid,
                                                          "narrative": "All sectors staffed.\n<b>no markup</b>"},
                      expect=201)["id"]
        shared = self.ok("lead", "POST", "/api/v1/sitreps", {"title": "Fleet Week for police", "plan": pid,
                                                             "shared_with": ["sfpd"]}, expect=201)["id"]
        past = self.ok("lead", "POST", "/api/v1/sitreps", {"title": "Before the alarm", "at": before},
                       expect=201)["id"]
        mine = self.ok("lead", "GET", f"/api/v1/sitreps/{own}")
        self.assertGreaterEqual(mine["figures"]["incidents"]["open"], 1)
        self.assertGreaterEqual(mine["figures"]["incidents"]["by_sector"]["A"], 1)
        self.assertEqual(mine["figures"]["plan"]["id"], pid)
        self.assertIn("sffd", mine["figures"]["units"])
        self.assertEqual(mine["cap"]["status"], "Draft")
        theirs = self.ok("pd-dispatch", "GET", f"/api/v1/sitreps/{shared}")
        self.assertEqual(theirs["figures"]["incidents"]["open"], 0)  # sffd's incidents are not sfpd's to see
        self.assertNotIn("sffd", theirs["figures"]["units"])
        earlier = self.ok("lead", "GET", f"/api/v1/sitreps/{past}")
        self.assertLess(earlier["figures"]["incidents"]["open"], mine["figures"]["incidents"]["open"])
        self.assertLess(earlier["at_seq"], mine["at_seq"])
        # Who reads and who writes.
        self.refused("pd-dispatch", "GET", f"/api/v1/sitreps/{own}", None, 404, "id")
        self.refused("ems-dispatch", "GET", f"/api/v1/sitreps/{shared}", None, 404, "id")
        self.assertNotIn(own, [r["id"] for r in self.ok("pd-dispatch", "GET", "/api/v1/sitreps")["items"]])
        self.refused("pd-sup", "POST", f"/api/v1/sitreps/{shared}/revision", {"narrative": "x"}, 403)
        self.refused("fire-dispatch", "POST", f"/api/v1/sitreps/{own}/approval", {"revision": 1}, 403)
        self.ok("lead", "POST", f"/api/v1/sitreps/{own}/revision", {"narrative": "Sector B short of a medic."})
        self.refused("lead", "POST", f"/api/v1/sitreps/{own}/approval", {"revision": 1}, 409, "revision")
        self.ok("lead", "POST", f"/api/v1/sitreps/{own}/approval", {"revision": 2})
        approved = self.ok("lead", "GET", f"/api/v1/sitreps/{own}")
        self.assertEqual((approved["status"], approved["approved_by"], approved["cap"]["status"]),
                         ("approved", "lead", "Actual"))
        self.refused("lead", "POST", f"/api/v1/sitreps/{own}/revision", {"narrative": "late edit"}, 409, "id")
        self.refused("lead", "POST", "/api/v1/sitreps", {"title": "x", "shared_with": ["nobody"]}, 404,
                     "shared_with[0]")
        self.refused("lead", "POST", "/api/v1/sitreps", {"title": "x", "at": "2999-01-01T00:00:00Z"}, 422, "at")
        status, html = self.call("lead", "GET", f"/api/v1/sitreps/{own}/report.html")
        self.assertEqual(status, 200)
        self.assertIn("Sector B short of a medic.", html)

    def events_of(self, who, kind):
        return [e for e in self.events(who) if e["type"] == kind]

    def plan_moves(self, pid):
        """The plan's move-ups as each posting agency's dispatchers see them, by zone."""
        prefix = f"plan {pid} sector "
        moves = {}
        for who in ("fire-dispatch", "ems-dispatch"):
            for e in self.events_of(who, "coverage_changed"):
                if e["data"]["zone"].startswith(prefix):
                    moves.setdefault(e["data"]["zone"], []).append(e)
        return moves

    def task_incidents(self, pid, task):
        return [i for i in self.ok("ems-dispatch", "GET", "/api/v1/incidents")["items"]
                if i["type"] == "plan.task" and i["summary"].startswith(f"Plan {pid} ") and f"task {task}:" in i["summary"]]

    def test_6_activation_posts_units_and_opens_task_incidents_once_across_kill9(self):
        # The example's period is past: at activation its phases start and end one a tick, and
        # each phase's postings are logged as it runs. The medic sweep (M3) goes to a unit of its
        # own here, so that other tests' plans holding KM09 cannot keep it busy.
        status, body = self.call("ems-sup", "POST", "/api/v1/units", {
            "callsign": "KM12", "agency": "ems_private", "kind": "ambulance", "location": {"lat": 37.79, "lon": -122.43}})
        self.assertEqual(status, 201, body)
        plan = example()
        for t in plan["tasks"]:
            if t["id"] == "M3":
                t["unit"] = "KM12"
        pid = self.ok("lead", "POST", "/api/v1/operations", plan, expect=201)["id"]
        for who in ("lead", "ems-sup", "pd-sup"):
            self.ok(who, "POST", f"/api/v1/operations/{pid}/approval", {"revision": 1})
        self.ok("lead", "POST", f"/api/v1/operations/{pid}/status", {"to": "active"})
        want = {f"plan {pid} sector {z}" for z in ("A (arrival)", "B (arrival)", "A (show)", "B (show)", "C (show)")}
        self.assertTrue(self.wait_for(lambda: set(self.plan_moves(pid)) == want, 15), self.plan_moves(pid))
        moves = self.plan_moves(pid)
        c_show = moves[f"plan {pid} sector C (show)"][0]
        self.assertEqual((c_show["agency"], c_show["data"]["below"]), ("sffd", True))
        self.assertEqual([m["callsign"] for m in c_show["data"]["move_ups"]], ["T16"])
        self.assertEqual(moves[f"plan {pid} sector B (arrival)"][0]["agency"], "ems_private")
        # The sweep: one incident in sector B, KM12 assigned to it.
        km12 = [u for u in self.ok("ems-dispatch", "GET", "/api/v1/units")["items"] if u["callsign"] == "KM12"][0]
        self.assertTrue(self.wait_for(
            lambda: any(a["unit"] == km12["id"] for i in self.task_incidents(pid, "M3") for a in i["assignments"])),
            self.task_incidents(pid, "M3"))
        incident = self.task_incidents(pid, "M3")[0]
        self.assertEqual((incident["landmark"], incident["agency"]), ("Fort Mason and Aquatic Park approach", "ems_private"))
        # Tasks of posted units make none (F1: E16 staged in sector A).
        self.assertEqual([i for i in self.ok("fire-dispatch", "GET", "/api/v1/incidents")["items"]
                          if i["summary"].startswith(f"Plan {pid} ") and "task F1:" in i["summary"]], [])
        self.s.kill9()
        self.s.start()
        self.sign_in()
        time.sleep(2.5)  # a few ticks of the watcher after the replay
        self.assertEqual({z: len(v) for z, v in self.plan_moves(pid).items()}, {z: 1 for z in want})
        self.assertEqual(len(self.task_incidents(pid, "M3")), 1)


    def get_raw(self, who, path):
        conn = self.s.connection()
        try:
            conn.request("GET", path, headers={"Authorization": "Bearer " + self.tokens[who]})
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type"), resp.read()
        finally:
            conn.close()

    def audited(self, record):
        """Who read `record` ("plan:3"): the readers of records_read events naming it."""
        return [(e["actor"], e["data"]["via"]) for e in self.events_of("lead", "records_read")
                if record in e["data"]["records"]]

    def test_7_pdf_pages_printed_by_the_server_under_the_same_permission(self):
        pid = self.ok("lead", "POST", "/api/v1/operations", example(), expect=201)["id"]
        report = self.ok("lead", "POST", "/api/v1/sitreps", {"title": "Fleet Week PDF report", "plan": pid,
                                                             "shared_with": ["sfpd"]}, expect=201)["id"]
        pages = [(f"/api/v1/operations/{pid}/matrix.pdf", "Fleet Week air show, Marina Green", "pd-dispatch"),
                 (f"/api/v1/operations/{pid}/forms.pdf", "Fleet Week air show, Marina Green", "ems-dispatch"),
                 (f"/api/v1/sitreps/{report}/report.pdf", "Fleet Week PDF report", "pd-dispatch")]
        for path, name, reader in pages:
            with self.subTest(path=path):
                # The outsider is told nothing exists, before anything is printed.
                self.refused("outsider", "GET", path, None, 404, "id")
                status, kind, data = self.get_raw(reader, path)
                if not HAVE_CHROMIUM:
                    self.assertEqual(status, 503, data[:300])
                    self.assertIn(b"chromium", data)
                    continue
                self.assertEqual(status, 200, data[:300])
                self.assertEqual(kind, "application/pdf")
                self.assertTrue(data.startswith(b"%PDF-"), data[:16])
                self.assertIn(name, pdf_title(data))
                self.assertGreater(len(data), 3000)
        self.refused("ems-dispatch", "GET", f"/api/v1/sitreps/{report}/report.pdf", None, 404, "id")

    def test_8_without_chromium_the_pdf_is_a_clear_503(self):
        s = Server(NCC, extra=["--chromium", "none"])
        try:
            s.add_user("chief", "sffd", ["supervisor"], "secret")
            s.start()
            chief = s.login("chief")
            s.request("POST", "/api/v1/agencies", {"code": "sffd", "name": "SFFD", "kind": "fire"})
            doc = {"name": "Pier 39 drill", "agency": "sffd", "agencies": [], "start": iso(3600),
                   "end": iso(7200), "phases": [{"id": "drill", "name": "Drill"}]}
            status, made = s.request("POST", "/api/v1/operations", doc, token=chief)
            self.assertEqual(status, 201, made)
            status, body = s.request("GET", f"/api/v1/operations/{made['id']}/matrix.pdf", token=chief)
            self.assertEqual(status, 503, body)
            self.assertIn("chromium", body["error"]["message"])
            status, body = s.request("GET", "/api/v1/operations/999/matrix.pdf", token=chief)
            self.assertEqual(status, 404, body)
            # No coverage zones and no active plan: nothing to cover.
            status, body = s.request("GET", "/api/v1/coverage", token=chief)
            self.assertEqual((status, body["zones"]), (200, []), body)
        finally:
            s.cleanup()

    def test_9_plan_and_report_reads_are_in_the_audit_trail(self):
        pid = self.ok("lead", "POST", "/api/v1/operations", example(), expect=201)["id"]  # restricted
        report = self.ok("lead", "POST", "/api/v1/sitreps", {"title": "Audited report", "shared_with": ["sfpd"]},
                         expect=201)["id"]
        self.ok("pd-dispatch", "GET", f"/api/v1/operations/{pid}")
        self.ok("pd-dispatch", "GET", f"/api/v1/operations/{pid}/matrix")
        self.ok("ems-dispatch", "GET", "/api/v1/operations")
        self.ok("pd-dispatch", "GET", f"/api/v1/sitreps/{report}")
        reads = self.audited(f"plan:{pid}")
        self.assertIn(("pd-dispatch", "GET /api/v1/operations/{id}"), reads)
        self.assertIn(("pd-dispatch", "GET /api/v1/operations/{id}/matrix"), reads)
        self.assertIn(("ems-dispatch", "GET /api/v1/operations"), reads)
        self.assertIn(("pd-dispatch", "GET /api/v1/sitreps/{id}"), self.audited(f"sitrep:{report}"))
        # A refused read leaves no trail (nothing was shown).
        self.refused("outsider", "GET", f"/api/v1/operations/{pid}", None, 404, "id")
        self.assertNotIn("outsider", [who for who, _ in self.audited(f"plan:{pid}")])
        # ncc audit who names the plan's changes and its reads.
        done = subprocess.run([NCC, "audit", "who", "--data", self.s.data_dir, "--record", f"plan:{pid}"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("plan_defined", done.stdout)
        self.assertIn("records_read", done.stdout)
        self.assertIn("pd-dispatch", done.stdout)

    def test_10_an_active_plans_postings_are_move_ups_in_coverage_for_its_readers(self):
        pid = self.ok("lead", "POST", "/api/v1/operations", running_now(), expect=201)["id"]
        for who in ("lead", "ems-sup", "pd-sup"):
            self.ok(who, "POST", f"/api/v1/operations/{pid}/approval", {"revision": 1})

        def zones(who):
            return {z["zone"]: z for z in self.ok(who, "GET", "/api/v1/coverage")["zones"] if z.get("plan") == pid}
        self.assertEqual(zones("lead"), {})  # approved, not active: nothing to post yet
        self.ok("lead", "POST", f"/api/v1/operations/{pid}/status", {"to": "active"})
        self.assertTrue(self.wait_for(lambda: self.plan(pid)["phases"][0]["started"]), self.plan(pid)["phases"])
        shown = zones("ems-dispatch")
        self.assertEqual(set(shown), {f"plan {pid} sector A (arrival)", f"plan {pid} sector B (arrival)"})
        b = shown[f"plan {pid} sector B (arrival)"]
        self.assertEqual((b["sector"], b["phase"], b["capability"], b["target"]), ("B", "arrival", "plan posting", 1))
        km09 = [m for m in b["move_ups"] if m["callsign"] == "KM09"]
        self.assertEqual(len(km09), 1, b)
        self.assertTrue(b["below_target"])
        self.assertIsNotNone(km09[0]["from"])  # the ambulance dispatcher sees its unit
        self.assertEqual(km09[0]["to"], {"lat": 37.8051597, "lon": -122.4320695})
        self.assertGreaterEqual(len(b["polygon"]), 4)
        # A participant sees the plan's move-ups, but not the positions of units it may not read.
        theirs = zones("pd-dispatch")[f"plan {pid} sector B (arrival)"]
        self.assertIsNone([m for m in theirs["move_ups"] if m["callsign"] == "KM09"][0]["from"])
        # An agency outside the plan sees none of them.
        self.assertEqual(zones("outsider"), {})
        self.assertIn(("ems-dispatch", "GET /api/v1/coverage"), self.audited(f"plan:{pid}"))
        # Once the unit stands at its post, the posting is met: no move-up for it.
        km = [u for u in self.ok("ems-dispatch", "GET", "/api/v1/units")["items"] if u["callsign"] == "KM09"][0]
        if km["status"] == "available" and not km.get("incident"):
            status, body = self.call("KM09", "POST", "/api/v1/positions", {"fixes": [
                {"unit": km["id"], "lat": 37.8051597, "lon": -122.4320695, "time": now_ms()}]})
            self.assertEqual(status, 202, body)
            self.assertTrue(self.wait_for(lambda: not [
                m for m in zones("ems-dispatch")[f"plan {pid} sector B (arrival)"]["move_ups"]
                if m["callsign"] == "KM09"]))
        self.ok("lead", "POST", f"/api/v1/operations/{pid}/status", {"to": "closed"})
        self.assertEqual(zones("ems-dispatch"), {})


if __name__ == "__main__":
    main()
