"""The live console in a real headless Chromium, driven over the DevTools protocol: sign in,
see the picture, watch an incident created over the API appear live. Saves a screenshot."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import PASSWORD, main, Server, WebSocket, free_port  # noqa: E402

NCC = None
SCREENSHOT = None


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class DevTools:
    def __init__(self, browser):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="ncc-chromium-")
        self.proc = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={self.profile}", f"--remote-debugging-port={self.port}",
             "--window-size=1400,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json", timeout=2))
                page = next(t for t in targets if t["type"] == "page")
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        path = page["webSocketDebuggerUrl"].split(str(self.port), 1)[1]
        self.ws = WebSocket(self.port, path, timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send_text(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = self.ws.recv_json()
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(msg["error"])
                return msg["result"]

    def eval(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result["result"].get("value")

    def wait_for(self, expression, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.eval(expression):
                return True
            time.sleep(0.2)
        return False

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Console(unittest.TestCase):
    def test_sign_in_and_follow_live(self):
        browser = find_chromium()
        if not browser:
            self.skipTest("chromium is not installed (scripts/setup installs it)")
        server = Server(NCC).start()
        chrome = None
        try:
            server.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
            for k in range(3):
                server.request("POST", "/api/v1/incidents", {
                    "type": "police.robbery", "priority": 1 + k, "agency": "police",
                    "location": {"lat": 25.28 + k * 0.01, "lon": 51.52}, "address": f"Street {k}"})
            chrome = DevTools(browser)
            chrome.call("Page.enable")
            chrome.call("Page.navigate", url=f"http://127.0.0.1:{server.port}/")
            self.assertTrue(chrome.wait_for("!!document.getElementById('login') && !document.getElementById('login').hidden"))
            # A wrong password is refused on the form.
            chrome.eval(f"""document.getElementById('username').value='tester';
                            document.getElementById('password').value='wrong';
                            document.getElementById('login').requestSubmit(); true""")
            self.assertTrue(chrome.wait_for("document.getElementById('login-error').textContent.length > 0"))
            chrome.eval(f"""document.getElementById('password').value={json.dumps(PASSWORD)};
                            document.getElementById('login').requestSubmit(); true""")
            self.assertTrue(chrome.wait_for("document.getElementById('conn').textContent === 'live'"),
                            chrome.eval("document.getElementById('conn').textContent"))
            self.assertTrue(chrome.wait_for("document.querySelectorAll('#incidents tbody tr').length === 3"))
            self.assertEqual(chrome.eval("getComputedStyle(document.getElementById('login')).display"), "none")
            self.assertEqual(chrome.eval("document.getElementById('who').textContent"), "tester (police)")
            status, body = server.request("POST", "/api/v1/incidents", {
                "type": "fire.structure", "priority": 1, "agency": "police",
                "location": {"lat": 25.30, "lon": 51.50}, "address": "Live Street 9"})
            self.assertEqual(status, 201)
            self.assertTrue(chrome.wait_for("document.getElementById('incidents').textContent.includes('Live Street 9')"),
                            "an incident created over the API did not appear live")
            self.assertTrue(chrome.wait_for(f"document.getElementById('head').textContent === 'seq {body['seq']}'"))
            # Messages: choose the incident, post one from the form, and see another agency
            # member's message arrive live; markup in a message stays text.
            live = body["id"]
            chrome.eval(f"document.querySelector('#incidents tr[data-id=\"{live}\"]').click(); true")
            self.assertTrue(chrome.wait_for("!document.getElementById('detail').hidden"))
            chrome.eval("""document.getElementById('message-text').value='roadblock on <b>Live Street</b>';
                           document.getElementById('message-classification').value='confidential';
                           document.getElementById('message-form').requestSubmit(); true""")
            self.assertTrue(chrome.wait_for(
                "document.getElementById('messages').textContent.includes('roadblock on <b>Live Street</b>')"),
                chrome.eval("document.getElementById('message-error').textContent"))
            self.assertEqual(chrome.eval("document.querySelectorAll('#messages b').length"), 1)  # the author only
            status, posted = server.request("POST", f"/api/v1/incidents/{live}/messages", {"text": "units staged north"})
            self.assertEqual(status, 201, posted)
            self.assertTrue(chrome.wait_for("document.getElementById('messages').textContent.includes('units staged north')"))
            status, listed = server.request("GET", f"/api/v1/incidents/{live}/messages")
            self.assertEqual([m["classification"] for m in listed["items"]], ["confidential", "restricted"])
            if SCREENSHOT:
                png = chrome.call("Page.captureScreenshot", format="png")["data"]
                with open(SCREENSHOT, "wb") as f:
                    f.write(base64.b64decode(png))
        finally:
            if chrome:
                chrome.close()
            server.cleanup()


if __name__ == "__main__":
    main(["--screenshot"])
