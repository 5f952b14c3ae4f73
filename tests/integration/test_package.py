"""The Debian package (issue 14, "must show": `make package` output installs and the binary
starts with the packaged config). Builds the .deb with cpack from this build folder (not a
release build: CI time), `dpkg -i`s it on this machine, checks the files, the ncc user, the
conffile and the unit (`systemd-analyze verify` where it can), creates the first account and
starts `/usr/bin/ncc serve --config /etc/ncc/ncc.conf` as the ncc user (systemd does not run in
a container, so as its unit would: runuser, $NOTIFY_SOCKET, $JOURNAL_STREAM) on a free loopback
port, sees /healthz, the console, /metrics, then `dpkg --purge`s it and removes what purge keeps
on purpose (the data folder, the user), leaving the machine as it was found.

Needs root (dpkg); skipped (77) otherwise, and when this machine already has an ncc package, an
ncc user or /etc/ncc or /var/lib/ncc: those would be an operator's, never touched here."""
import fcntl
import glob
import grp
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

from harness import free_port, main, PASSWORD

NCC = None
BUILD_DIR = None
CPACK = None
SKIP = 77
PATHS = ["/etc/ncc", "/var/lib/ncc", "/usr/share/ncc", "/lib/systemd/system/ncc.service"]
ENABLED_LINK = "/etc/systemd/system/multi-user.target.wants/ncc.service"


def run(*args, check=True, **kw):
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=240, **kw)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def dpkg_status():
    """"install ok installed", "deinstall ok config-files", ...; "" when dpkg knows no ncc."""
    done = run("dpkg-query", "-W", "-f=${Status}", "ncc", check=False)
    return done.stdout.strip() if done.returncode == 0 and "not-installed" not in done.stdout else ""


def installed():
    return dpkg_status().endswith(" installed")


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def why_not_here():
    if os.geteuid() != 0:
        return "not root: dpkg -i needs root (CI and this machine's tests run as root)"
    for tool in ("dpkg", "dpkg-deb", "dpkg-shlibdeps", "runuser", "adduser"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if dpkg_status():
        return f"an ncc package is on this machine ({dpkg_status()}): not replacing an operator's"
    if user_exists("ncc"):
        return "a user named ncc exists on this machine: not touching it"
    for path in PATHS + [ENABLED_LINK]:
        if os.path.lexists(path):
            return f"{path} exists on this machine: not touching it"
    return None


def get(port, path, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", ""), resp.read().decode(errors="replace")
    finally:
        conn.close()


def ncc_pid(runuser_pid):
    """The ncc process runuser started (its one child)."""
    deadline = time.time() + 10
    while time.time() < deadline:
        with open(f"/proc/{runuser_pid}/task/{runuser_pid}/children") as f:
            children = f.read().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise AssertionError("runuser started no child")


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="ncc-package-")
        started = time.time()
        run(CPACK, "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-G", "DEB", "-B", cls.work)
        debs = glob.glob(os.path.join(cls.work, "ncc_*_amd64.deb"))
        assert len(debs) == 1, os.listdir(cls.work)
        cls.deb = debs[0]
        print(f"\ncpack: {os.path.basename(cls.deb)}, {os.path.getsize(cls.deb) >> 20} MiB, "
              f"{time.time() - started:.0f} s", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        try:
            # In any state (half-configured after a failed postinst too).
            if dpkg_status():
                run("dpkg", "--purge", "--force-remove-reinstreq", "ncc", check=False)
        finally:
            # What purge keeps on purpose (the record and its owner), made by this test alone.
            shutil.rmtree("/var/lib/ncc", ignore_errors=True)
            if user_exists("ncc"):
                run("deluser", "--system", "--quiet", "ncc", check=False)
            try:
                grp.getgrnam("ncc")
                run("delgroup", "--system", "--quiet", "ncc", check=False)
            except KeyError:
                pass
            shutil.rmtree(cls.work, ignore_errors=True)

    def test_package(self):
        self.check_the_archive()
        run("dpkg", "-i", self.deb)
        self.check_the_installed_files()
        self.check_the_unit()
        self.check_the_conffile_survives_a_reinstall()
        self.serve_as_the_unit_would()
        self.purge_leaves_the_machine_as_found()

    def check_the_archive(self):
        fields = run("dpkg-deb", "-f", self.deb, "Package", "Version", "Architecture", "Depends").stdout
        self.assertIn("Package: ncc", fields)
        self.assertIn("Architecture: amd64", fields)
        depends = fields.split("Depends:", 1)[1]
        for lib in ("adduser", "libc6", "libsqlite3-0", "libssl3", "libstdc++6"):
            self.assertIn(lib, depends)  # computed by dpkg-shlibdeps, plus the scripts' adduser
        files = run("dpkg-deb", "-c", self.deb).stdout
        for path in ("./usr/bin/ncc", "./usr/sbin/ncc-backup", "./usr/share/ncc/web/dist/index.html", "./usr/share/ncc/config/plans/",
                     "./usr/share/ncc/config/mappings/", "./usr/share/ncc/basemap/style.json",
                     "./etc/ncc/ncc.conf", "./lib/systemd/system/ncc.service",
                     "./usr/share/doc/ncc/operations.md", "./usr/share/doc/ncc/examples/prometheus.yml"):
            self.assertIn(path, files)
        control = os.path.join(self.work, "control")
        run("dpkg-deb", "-e", self.deb, control)
        with open(os.path.join(control, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/ncc/ncc.conf"])
        for script in ("postinst", "prerm", "postrm"):
            self.assertTrue(os.stat(os.path.join(control, script)).st_mode & stat.S_IXUSR, script)

    def check_the_installed_files(self):
        for path in ("/usr/bin/ncc", "/etc/ncc/ncc.conf", "/lib/systemd/system/ncc.service",
                     "/usr/share/ncc/web/dist/index.html", "/usr/share/ncc/config/plans"):
            self.assertTrue(os.path.exists(path), path)
        user = pwd.getpwnam("ncc")
        self.assertLess(user.pw_uid, 1000, "a system user")
        self.assertEqual(user.pw_dir, "/var/lib/ncc")
        self.assertEqual(user.pw_shell, "/usr/sbin/nologin")
        self.assertEqual(grp.getgrgid(user.pw_gid).gr_name, "ncc")
        st = os.stat("/var/lib/ncc")
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (user.pw_uid, 0o700))
        conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "ncc").stdout
        self.assertIn("/etc/ncc/ncc.conf", conffiles)
        self.assertEqual(run("/usr/bin/ncc", "version").stdout.strip().split()[0], "ncc")

    def check_the_unit(self):
        with open("/lib/systemd/system/ncc.service") as f:
            unit = f.read()
        for line in ("ExecStart=/usr/bin/ncc serve --config /etc/ncc/ncc.conf", "User=ncc", "StateDirectory=ncc",
                     "ConfigurationDirectory=ncc", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                     "PrivateTmp=yes", "ReadWritePaths=/var/lib/ncc", "CapabilityBoundingSet=\n",
                     "Restart=on-failure", "LimitNOFILE=65536", "TimeoutStopSec=60", "Type=notify"):
            self.assertIn(line, unit)
        # Enabled on first install, as deb-systemd-helper does for debhelper packages.
        self.assertTrue(os.path.islink(ENABLED_LINK))
        if shutil.which("systemd-analyze"):
            done = run("systemd-analyze", "verify", "/lib/systemd/system/ncc.service", check=False)
            # Complaints about the unit name it ("ncc.service: ..."); others are the host's.
            problems = [l for l in (done.stdout + done.stderr).splitlines() if "ncc.service" in l]
            self.assertEqual(problems, [], done.stdout + done.stderr)

    def check_the_conffile_survives_a_reinstall(self):
        with open("/etc/ncc/ncc.conf", "a") as f:
            f.write("# changed by the operator\n")
        run("dpkg", "-i", self.deb)  # postinst again, with the version installed as $2
        with open("/etc/ncc/ncc.conf") as f:
            self.assertIn("# changed by the operator", f.read())

    def serve_as_the_unit_would(self):
        run("runuser", "-u", "ncc", "--", "/usr/bin/ncc", "user", "add", "--data", "/var/lib/ncc",
                   "--agency", "police", "--role", "admin", "--role", "supervisor", "chief", input=PASSWORD + "\n")
        port = free_port()
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify_name = f"ncc-package-test-{os.getpid()}"
        notify.bind("\0" + notify_name)
        notify.settimeout(30)
        log_path = os.path.join(self.work, "journal.log")
        log = open(log_path, "ab")
        st = os.fstat(log.fileno())
        env = dict(os.environ, NOTIFY_SOCKET="@" + notify_name, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        proc = subprocess.Popen(["runuser", "-u", "ncc", "--", "/usr/bin/ncc", "serve", "--config",
                                 "/etc/ncc/ncc.conf", "--listen", f"127.0.0.1:{port}"],
                                stdout=log, stderr=log, env=env, cwd="/")
        try:
            self.assertEqual(notify.recv(256), b"READY=1\nSTATUS=serving")
            status, _, body = get(port, "/healthz")
            self.assertEqual((status, json.loads(body)["status"]), (200, "ok"))
            status, kind, body = get(port, "/")
            self.assertEqual(status, 200)
            self.assertIn("text/html", kind)
            with open("/usr/share/ncc/web/dist/index.html") as f:
                self.assertEqual(body, f.read())
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/api/v1/auth/login", json.dumps({"username": "chief", "password": PASSWORD}),
                         {"Content-Type": "application/json"})
            token = json.loads(conn.getresponse().read())["access_token"]
            status, _, metrics = get(port, "/metrics", token)
            self.assertEqual(status, 200)
            self.assertIn("ncc_log_wal_bytes", metrics)
            self.assertEqual(get(port, "/metrics")[0], 401)
            # Signalled as systemd would (the unit's main process is ncc): runuser gives it 2 s.
            os.kill(ncc_pid(proc.pid), signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
            notify.close()
        with open(log_path) as f:
            journal = f.read()
        for line in ("<6>console: ", "files from /usr/share/ncc/web/dist",
                     "<6>response plans /usr/share/ncc/config/plans loaded",
                     f"<6>ncc listening on http://127.0.0.1:{port} (data /var/lib/ncc)"):
            self.assertIn(line, journal)
        self.assertNotIn("running as root", journal)
        owner = pwd.getpwnam("ncc").pw_uid
        for name in ("events.db", "auth.db"):
            st = os.stat(os.path.join("/var/lib/ncc", name))
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (owner, 0o600), name)

    def purge_leaves_the_machine_as_found(self):
        run("dpkg", "--purge", "ncc")
        self.assertEqual(dpkg_status(), "")
        for path in ("/usr/bin/ncc", "/etc/ncc", "/usr/share/ncc", "/lib/systemd/system/ncc.service"):
            self.assertFalse(os.path.lexists(path), path)
        self.assertFalse(os.path.lexists(ENABLED_LINK))
        self.assertFalse(os.path.lexists("/etc/systemd/system/ncc.service"), "masked after purge")
        for state in glob.glob("/var/lib/systemd/deb-systemd-helper-*/*"):
            self.assertNotIn("ncc.service", state)
        # Kept on purpose: the event log is the centre's record (docs/operations.md).
        self.assertTrue(os.path.exists("/var/lib/ncc/events.db"))
        self.assertTrue(user_exists("ncc"))


if __name__ == "__main__":
    reason = why_not_here()
    if reason:
        print("skipped:", reason)
        sys.exit(SKIP)
    # One at a time on a machine, whatever checkout runs it: dpkg and the package's paths are shared.
    lock = open("/run/lock/ncc-package-test.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    reason = why_not_here()
    if reason:
        print("skipped:", reason)
        sys.exit(SKIP)
    main(("--build-dir", "--cpack"))
