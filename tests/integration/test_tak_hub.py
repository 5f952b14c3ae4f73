"""ncc as the hub of its TAK clients (issue 16, findings 8 and 11), checked by an independent
peer: tests/peers/tak/peer.mjs builds every message it sends with @tak-ps/node-cot and parses
every message ncc sends with it, over a real TCP connection.

- GeoChat from one client reaches the other clients whose keys may see it, never its sender
  and never another agency's key; a chat naming an incident (chatroom "incident-<id>") is also
  that incident's message; <marti><dest> limits a direct chat to its addressee.
- A device's own position is seen by the other clients of its agency only.
- A marker linked to an incident (<link uid="ncc-incident-<id>">) becomes the incident's note.
- TAK protocol v1: ncc offers it (t-x-takp-v), accepts a request for version 1 (t-x-takp-r),
  then reads and writes 0xbf-framed TakMessages; a v1 client and an XML client chat through ncc.

The peer is installed by `make peers` (npm ci from the lockfile); nothing is downloaded here."""
import json
import os
import queue
import subprocess
import threading
import time
import unittest

import test_cot
from harness import main, Server, free_port
from test_cot import api_key, atak_reports, metric, real_file, restamp

NCC = None
PEER_DIR = os.path.join(os.path.dirname(__file__), "..", "peers", "tak")
# How long anything expected may take to happen. Generous: under `ctest -j3` a node process
# starting, a debug ncc and three servers share two cores. Every wait below is for a condition
# (an event read, a record stored, a metric reached) and ends as soon as it holds, so the
# deadline costs nothing when things work and only bounds how long a failure takes to show.
WAIT = 60


def wait_until(cond, what, timeout=WAIT):
    """Polls `cond` until it returns something true; fails naming `what` (and its last value)."""
    deadline = time.time() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


class Peer:
    """One TAK client: a node process driving @tak-ps/node-cot, JSON lines both ways."""

    def __init__(self, port, key):
        if not os.path.isdir(os.path.join(PEER_DIR, "node_modules", "@tak-ps", "node-cot")):
            raise AssertionError("the TAK peer is not installed: run `make peers`")
        self.proc = subprocess.Popen(["node", "peer.mjs"], cwd=PEER_DIR, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.items = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()
        self.do(op="connect", port=port, key=key)
        # Signed in: the first event (ncc's TAK protocol offer; on a server without it, the
        # snapshot: every key here sees one incident).
        self.first = self.expect(lambda i: "event" in i)

    def _read(self):
        for line in self.proc.stdout:
            self.items.put(json.loads(line))
        self.items.put({"closed": True})

    def do(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    @staticmethod
    def is_event(item, type_=None, uid=None):
        e = item.get("event")
        return bool(e) and (type_ is None or e["type"] == type_) and (uid is None or e["uid"] == uid)

    def expect(self, pred, timeout=WAIT):
        """The first item (from now on) that satisfies `pred`; every one read is kept in seen."""
        deadline = time.time() + timeout
        while True:
            try:
                item = self.items.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                raise AssertionError(f"nothing matched within {timeout} s; last: {self.seen[-5:]}")
            self.seen.append(item)
            if "fail" in item:
                raise AssertionError(f"node-cot could not read what ncc sent: {item['fail']}")
            if pred(item):
                return item

    def until_incident(self, incident_id):
        """Every item up to the feed's marker of `incident_id` (a barrier: what was relayed
        before it was created has arrived by then)."""
        start = len(self.seen)
        self.expect(lambda i: self.is_event(i, uid=f"ncc-incident-{incident_id}"))
        return self.seen[start:]

    def close(self):
        try:
            self.do(op="close")
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        self.proc.wait(timeout=WAIT)
        self.proc.stdout.close()
        fails = [i for i in self.seen if "fail" in i]
        assert not fails, fails


def events_of(items, type_):
    return [i["event"] for i in items if Peer.is_event(i, type_)]


class TakHub(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        test_cot.NCC = NCC  # its api_key runs `ncc apikey add`
        cls.cot_port = free_port()
        cls.server = Server(NCC, extra=["--cot", f"127.0.0.1:{cls.cot_port}", "--checkpoint-every", "0"])
        s = cls.server
        s.add_user("firesup", "fire", ["supervisor"], "secret")
        cls.police_key = api_key(s, "police", "cot", "tak-police")
        cls.police_key2 = api_key(s, "police", "cot", "tak-police-2")
        cls.fire_key = api_key(s, "fire", "cot", "tak-fire")
        s.start()
        for code in ("police", "fire"):
            s.request("POST", "/api/v1/agencies", {"code": code, "name": code.title(), "kind": code})
        status, unit = s.request("POST", "/api/v1/units", {"callsign": "P-1", "agency": "police", "kind": "patrol"})
        assert status == 201, unit
        cls.unit = unit["id"]
        status, unit = s.request("POST", "/api/v1/units", {"callsign": "P-2", "agency": "police", "kind": "patrol"})
        assert status == 201, unit
        cls.unit2 = unit["id"]  # moved only in TAK protocol v1
        cls.fire_token = s.login("firesup")
        cls.police_incident = cls.incident()
        cls.fire_incident = cls.incident(token=cls.fire_token, agency="fire")
        cls.peers = []

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    @classmethod
    def incident(cls, token=None, **kw):
        body = {"type": "fire.structure", "priority": 2, "location": {"lat": 25.29, "lon": 51.53}}
        body.update(kw)
        status, made = cls.server.request("POST", "/api/v1/incidents", body, token=token)
        assert status == 201, made
        return made["id"]

    def peer(self, key):
        p = Peer(self.cot_port, key)
        self.addCleanup(p.close)
        return p

    def barrier(self, *peers, fire=False):
        """A new incident all `peers` see (fire's when `fire`): what came before has arrived."""
        iid = self.incident(token=self.fire_token, agency="fire") if fire else self.incident()
        return [p.until_incident(iid) for p in peers]

    def messages(self, incident_id):
        status, body = self.server.request("GET", f"/api/v1/incidents/{incident_id}/messages")
        self.assertEqual(status, 200, body)
        return [m["text"] for m in body["items"]]

    def events(self, type_):
        items = self.server.request("GET", "/api/v1/events?after=0&limit=1000")[1]["items"]
        return [e for e in items if e["type"] == type_]

    def await_connections(self, n):
        """Until ncc holds exactly `n` CoT connections: the peers of earlier tests are closed
        on ncc's side too (one still open would be relayed to and counted)."""
        wait_until(lambda: metric(self.server, "ncc_cot_connections", "") == n,
                   f"{n} open CoT connections (now {metric(self.server, 'ncc_cot_connections', '')})")

    def test_geochat_reaches_the_agency_clients_only(self):
        a, b, f = self.peer(self.police_key), self.peer(self.police_key2), self.peer(self.fire_key)
        self.await_connections(3)
        relayed = metric(self.server, "ncc_cot_relayed_total", "")
        a.do(op="chat", **{"from": {"uid": "ANDROID-A", "callsign": "Alpha"},
                           "to": {"uid": "All Chat Rooms", "callsign": "All Chat Rooms"},
                           "chatroom": "All Chat Rooms", "message": "roadblock at the bridge"})
        got = b.expect(lambda i: Peer.is_event(i, "b-t-f"))["event"]
        self.assertEqual(got["remarks"], "roadblock at the bridge")
        self.assertEqual(got["chatroom"], "All Chat Rooms")
        before_a, _ = self.barrier(a, b)
        self.assertEqual(events_of(before_a, "b-t-f"), [], "the sender got its own chat back")
        (before_f,) = self.barrier(f, fire=True)
        self.assertEqual(events_of(before_f, "b-t-f"), [], "another agency's key got the chat")
        self.assertEqual(metric(self.server, "ncc_cot_relayed_total", "") - relayed, 1)
        # The real ATAK recording of a GeoChat, through node-cot, reaches b the same way.
        a.do(op="xml", xml=real_file("b-t-f"))
        self.assertEqual(b.expect(lambda i: Peer.is_event(i, "b-t-f"))["event"]["remarks"], "need supoort")

    def test_a_channel_is_a_geochat_room_both_ways(self):
        """Channels (docs/plans.md): a message posted through the API goes out as GeoChat in the
        room named for its channel, to the keys that may see it; a GeoChat in a room named for a
        channel is posted there, relayed by the hub, and not sent back again as ncc's own."""
        a, b, f = self.peer(self.police_key), self.peer(self.police_key2), self.peer(self.fire_key)
        self.await_connections(3)
        status, ch = self.server.request("POST", "/api/v1/channels", {"kind": "incident", "incident": self.police_incident})
        self.assertEqual(status, 201, ch)
        status, posted = self.server.request("POST", f"/api/v1/channels/{ch['id']}/messages", {"text": "hold the perimeter"})
        self.assertEqual(status, 201, posted)
        said = lambda text: lambda i: Peer.is_event(i, "b-t-f") and text in (i["event"].get("remarks") or "")  # noqa: E731
        for p in (a, b):
            self.assertEqual(p.expect(said("hold the perimeter"))["event"]["chatroom"], f"incident-{self.police_incident}")
        (before_f,) = self.barrier(f, fire=True)
        self.assertFalse([e for e in events_of(before_f, "b-t-f") if "perimeter" in (e.get("remarks") or "")])
        # A room named for a channel that is no incident's: the police-sheriff pair (police first).
        self.server.request("POST", "/api/v1/agencies", {"code": "sheriff", "name": "Sheriff", "kind": "police"})
        status, pair = self.server.request("POST", "/api/v1/channels", {"kind": "agencies", "agencies": ["sheriff", "police"]})
        self.assertEqual(status, 201, pair)
        room = "agencies-police-sheriff"
        a.do(op="chat", **{"from": {"uid": "ANDROID-A", "callsign": "Alpha"}, "to": {"uid": room, "callsign": room},
                           "chatroom": room, "message": "west gate closed"})
        self.assertEqual(b.expect(said("west gate closed"))["event"]["chatroom"], room)

        def texts():
            return [m["text"] for m in self.server.request("GET", f"/api/v1/channels/{pair['id']}/messages")[1]["items"]]
        wait_until(lambda: "Alpha: west gate closed" in texts(), "the chat among the channel's messages")
        before_a, before_b = self.barrier(a, b)
        self.assertFalse([e for e in events_of(before_a, "b-t-f") if "west gate" in (e.get("remarks") or "")])
        self.assertFalse([e for e in events_of(before_b, "b-t-f") if "west gate" in (e.get("remarks") or "")],
                         "a TAK client's chat came back a second time")
        self.assertGreaterEqual(metric(self.server, "ncc_cot_events_total", 'outcome="chat_channel"'), 1)

    def test_positions_are_seen_only_where_the_keys_allow(self):
        a, b, f = self.peer(self.police_key), self.peer(self.police_key2), self.peer(self.fire_key)
        # A device that is no unit: relayed as it came, to its agency's clients.
        a.do(op="position", uid="ANDROID-ALPHA", callsign="Alpha", lat=25.3, lon=51.5)
        got = b.expect(lambda i: Peer.is_event(i, uid="ANDROID-ALPHA"))["event"]
        self.assertEqual(got["callsign"], "Alpha")
        self.assertAlmostEqual(got["lat"], 25.3)
        # A device that is a unit: the unit moves, and the feed shows it to b as the unit.
        a.do(op="position", uid="ANDROID-P1", callsign="P-1", lat=25.31, lon=51.51)
        unit = b.expect(lambda i: Peer.is_event(i, uid=f"ncc-unit-{self.unit}"))["event"]
        self.assertEqual(unit["callsign"], "P-1")
        self.assertAlmostEqual(unit["lat"], 25.31)
        before_a, _ = self.barrier(a, b)
        self.assertFalse([e for e in events_of(before_a, None) if e["uid"] in ("ANDROID-ALPHA", f"ncc-unit-{self.unit}")],
                         "a device got its own position back")
        (before_f,) = self.barrier(f, fire=True)
        self.assertFalse([e for e in events_of(before_f, None) if e["uid"] in ("ANDROID-ALPHA", f"ncc-unit-{self.unit}")],
                         "a fire key saw police positions")
        # And the other way: the fire device's position never reaches police clients.
        f.do(op="position", uid="ANDROID-FIRE", callsign="Foxtrot", lat=25.2, lon=51.4)
        (before_b,) = self.barrier(b)
        self.assertFalse([e for e in events_of(before_b, None) if e["uid"] == "ANDROID-FIRE"])

    def test_chat_naming_an_incident_is_its_message(self):
        a, b = self.peer(self.police_key), self.peer(self.police_key2)
        room = f"incident-{self.police_incident}"
        a.do(op="chat", **{"from": {"uid": "ANDROID-A", "callsign": "Alpha"},
                           "to": {"uid": f"ncc-incident-{self.police_incident}", "callsign": room},
                           "chatroom": room, "message": "second floor clear"})
        self.assertEqual(b.expect(lambda i: Peer.is_event(i, "b-t-f"))["event"]["chatroom"], room)
        wait_until(lambda: "Alpha: second floor clear" in self.messages(self.police_incident),
                   "the chat among the incident's messages")
        status, body = self.server.request("GET", f"/api/v1/incidents/{self.police_incident}/messages")
        posted = next(m for m in body["items"] if m["text"] == "Alpha: second floor clear")
        self.assertEqual((posted["author"], posted["agency"]), ("gateway:tak-police", "police"))
        # An incident the key may not see (fire's) is as unknown: not posted, not relayed.
        unknown = metric(self.server, "ncc_cot_events_total", 'outcome="unknown_incident"')
        f = self.peer(self.fire_key)
        a.do(op="chat", **{"from": {"uid": "ANDROID-A", "callsign": "Alpha"},
                           "to": {"uid": "x", "callsign": "x"},
                           "chatroom": f"incident-{self.fire_incident}", "message": "peek"})
        (before_f,) = self.barrier(f, fire=True)
        (before_b,) = self.barrier(b)
        self.assertEqual(events_of(before_f + before_b, "b-t-f"), [])
        self.assertEqual(metric(self.server, "ncc_cot_events_total", 'outcome="unknown_incident"') - unknown, 1)
        status, body = self.server.request("GET", f"/api/v1/incidents/{self.fire_incident}/messages",
                                           token=self.fire_token)
        self.assertEqual((status, body["items"]), (200, []))

    def test_direct_chat_reaches_its_addressee_only(self):
        a, b, c = self.peer(self.police_key), self.peer(self.police_key2), self.peer(self.police_key)
        b.do(op="position", uid="ANDROID-BRAVO", callsign="Bravo", lat=25.3, lon=51.5)
        c.do(op="position", uid="ANDROID-CHARLIE", callsign="Charlie", lat=25.3, lon=51.5)
        seen = set()  # both identified, in whichever order they arrive
        a.expect(lambda i: Peer.is_event(i) and seen.add(i["event"]["uid"]) is None
                 and {"ANDROID-BRAVO", "ANDROID-CHARLIE"} <= seen)
        a.do(op="chat", direct=True, **{"from": {"uid": "ANDROID-A", "callsign": "Alpha"},
                                        "to": {"uid": "ANDROID-BRAVO", "callsign": "Bravo"},
                                        "chatroom": "Bravo", "message": "just you"})
        self.assertEqual(b.expect(lambda i: Peer.is_event(i, "b-t-f"))["event"]["remarks"], "just you")
        (before_c,) = self.barrier(c)
        self.assertEqual(events_of(before_c, "b-t-f"), [])

    def test_marker_linked_to_an_incident_is_its_note(self):
        a, b = self.peer(self.police_key), self.peer(self.police_key2)
        a.do(op="marker", uid="marker-1", type="a-h-G", callsign="Hostile 1", lat=25.2854, lon=51.531,
             link=f"ncc-incident-{self.police_incident}", remarks="two vehicles")
        self.assertEqual(b.expect(lambda i: Peer.is_event(i, uid="marker-1"))["event"]["type"], "a-h-G")
        want = "TAK marker \"Hostile 1\" (a-h-G) at 25.285400,51.531000: two vehicles"
        wait_until(lambda: [e for e in self.events("incident_note_added")
                            if e["data"]["id"] == self.police_incident and e["data"]["text"] == want],
                   "the marker as the incident's note")
        # A marker naming no incident is relayed and nothing more; the real spot-map recording.
        notes = len(self.events("incident_note_added"))
        a.do(op="xml", xml=real_file("b-m-p-s-m"))
        self.assertEqual(b.expect(lambda i: Peer.is_event(i, "b-m-p-s-m"))["event"]["callsign"], "Y 1")
        self.barrier(a, b)
        self.assertEqual(len(self.events("incident_note_added")), notes)

    def test_tak_protocol_v1_negotiated_and_spoken(self):
        v1, xml = self.peer(self.police_key), self.peer(self.police_key2)
        self.assertEqual(v1.first["event"]["type"], "t-x-takp-v", "no TAK protocol offer first")
        self.assertEqual(v1.first["event"]["takControl"], ["TakProtocolSupport"])
        switched = metric(self.server, "ncc_cot_proto_connections_total", "")
        v1.do(op="negotiate")
        v1.expect(lambda i: i.get("negotiated") is True)
        self.assertEqual(metric(self.server, "ncc_cot_proto_connections_total", "") - switched, 1)
        # In v1: a unit's position moves it; the feed answers in v1 (node-cot reads it).
        v1.do(op="position", uid="ANDROID-P2", callsign="P-2", lat=25.32, lon=51.52)
        def moved():
            pos = self.server.request("GET", f"/api/v1/units/{self.unit2}")[1].get("position") or {}
            return abs(pos.get("lat", 0) - 25.32) < 1e-9
        wait_until(moved, "P-2 moved by its v1 report")
        iid = self.incident(summary="v1 feed")
        marker = v1.expect(lambda i: Peer.is_event(i, uid=f"ncc-incident-{iid}"))
        self.assertTrue(marker["proto"], "the feed is still XML after the switch")
        # A v1 client and an XML client chat through ncc, each in its own protocol.
        v1.do(op="chat", **{"from": {"uid": "ANDROID-V1", "callsign": "Victor"},
                            "to": {"uid": "All Chat Rooms", "callsign": "All Chat Rooms"},
                            "chatroom": "All Chat Rooms", "message": "from v1"})
        got = xml.expect(lambda i: Peer.is_event(i, "b-t-f"))
        self.assertEqual((got["event"]["remarks"], got["proto"]), ("from v1", False))
        xml.do(op="xml", xml=real_file("b-t-f"))
        got = v1.expect(lambda i: Peer.is_event(i, "b-t-f"))
        self.assertEqual((got["event"]["remarks"], got["proto"]), ("need supoort", True))
        # Real ATAK reports in v1 move the unit too (re-stamped: the lane refuses old fixes).
        report = restamp(atak_reports()[0], int(time.time() * 1000) - 1000).replace("C0rv0", "P-2")
        v1.do(op="xml", xml=report)
        iid = self.incident(summary="after the report")
        v1.expect(lambda i: Peer.is_event(i, uid=f"ncc-incident-{iid}"))
        self.assertTrue(all(i["proto"] for i in v1.seen[-3:] if "event" in i))

    def test_hostile_v1_messages_close_the_connection(self):
        for hex_bytes, want in (("bf04ffffffff", "ncc-error takmessage"),
                                ("3c6576656e74", "ncc-error stream: expected the TAK protocol magic"),
                                ("bf" + "80" * 11, "ncc-error stream: the length")):
            p = self.peer(self.police_key)
            self.assertEqual(p.first["event"]["type"], "t-x-takp-v", "no TAK protocol offer first")
            p.do(op="negotiate")
            p.expect(lambda i: i.get("negotiated") is True)
            p.do(op="raw", hex=hex_bytes)
            line = p.expect(lambda i: "error" in i)["error"]
            self.assertTrue(line.startswith(want), line)
            p.expect(lambda i: i.get("closed"))


if __name__ == "__main__":
    main()
