"""Attacks on the real sfsh binary from a hostile server (issue 18).

A small hostile server over loopback stands in front of a standalone sfsim:
it forwards every request and, per test, rewrites one answer the way an
attacker controlling the endpoint would (a describe naming a field with SQL in
it, a record with terminal escapes, an endless or huge or slow body, a query
that never says done). Each test reproduces the attack and proves it fails.

Run: python Tests/security/test_hostile.py PATH_TO_SFSH PATH_TO_SFSIM
"""

import gzip
import http.server
import json
import os
import shutil
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib

import requests

SFSH = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsh")
SFSIM = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim")

INJECTION = ("a') AS a FROM main.local_record r; UPDATE main.org SET instance_url = 'https://attacker.example' "
             "WHERE alias = 'prod'; SELECT ('")


class Hostile(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """Forwards to sfsim; `rewrite(handler, path, status, headers, body)` may answer instead."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream):
        self.upstream = upstream
        self.rewrite = None
        self.requests = []
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request, client_address):
        pass  # sfsh hanging up on an answer it refuses is the point of these tests

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.server.requests.append((self.command, self.path))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "accept-encoding", "content-length")}
        upstream = requests.request(self.command, self.server.upstream + self.path, data=body, headers=headers,
                                    timeout=60, allow_redirects=False)
        answer = (upstream.status_code, {k: v for k, v in upstream.headers.items()
                                         if k.lower() not in ("content-encoding", "content-length", "transfer-encoding",
                                                              "connection")}, upstream.content)
        if self.server.rewrite:
            if self.server.rewrite(self, self.path, *answer) is True:
                return
        self.send(*answer)

    def send(self, status, headers, body):
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = forward


class HostileServerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sims = []
        cls.prod = cls.start_sim(seed=3)
        cls.evil_sim = cls.start_sim(seed=4)

    @classmethod
    def start_sim(cls, seed):
        sim = subprocess.Popen([SFSIM, "--control", "--quiet", "--seed", str(seed), "--contacts", "40", "--leads", "20",
                                "--accounts", "10", "--opportunities", "10"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = sim.stdout.readline()
        if not line:
            raise RuntimeError("sfsim did not start: " + sim.stderr.read())
        cls.sims.append(sim)
        return json.loads(line)

    @classmethod
    def tearDownClass(cls):
        for sim in cls.sims:
            sim.terminate()
            sim.wait(timeout=10)

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="sfsh-hostile-")
        os.chmod(self.home, 0o700)
        self.addCleanup(shutil.rmtree, self.home, True)
        self.server = Hostile(self.evil_sim["instance_url"])
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.sfsh(f"login --token {self.prod['access_token']} --instance {self.prod['instance_url']} --alias prod")
        self.sfsh(f"login --token {self.evil_sim['access_token']} --instance {self.server.url} --alias evil")

    def sfsh(self, commands, check=True, timeout=120, org=None, env=None):
        argv = [SFSH, "--home", self.home] + (["--org", org] if org else []) + ["-c", commands]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                env=dict(os.environ, **(env or {})))
        if check and result.returncode != 0:
            self.fail(f"sfsh -c {commands!r} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def prod_instance(self):
        orgs = json.loads(self.sfsh("orgs --json").stdout)
        return next(o for o in orgs if o["alias"] == "prod")["instance_url"]

    # §1: SQL from a describe.
    def test_a_describe_cannot_write_into_the_home(self):
        def inject(handler, path, status, headers, body):
            if path.endswith("/sobjects/Contact/describe") and status == 200:
                describe = json.loads(body)
                describe["fields"].append(dict(describe["fields"][-1], name=INJECTION, label="x"))
                handler.send(status, headers, json.dumps(describe).encode())
                return True
        self.server.rewrite = inject
        result = self.sfsh("sync import", check=False, org="evil")
        self.assertNotEqual(result.returncode, 0, result.stderr)
        self.assertIn("is not a Salesforce API name", result.stderr)
        self.sfsh("local 'SELECT 1'", check=False, org="evil")
        described = self.sfsh("describe Contact", check=False, org="evil")
        self.assertNotEqual(described.returncode, 0)
        self.assertIn("is not a Salesforce API name", described.stderr)
        self.assertEqual(self.prod_instance(), self.prod["instance_url"])

    # §2: `local` prints no secret.
    def test_local_reads_the_views_and_nothing_else(self):
        self.sfsh("set client_secret SHOULD-NOT-PRINT")
        self.sfsh("sync import --objects Contact", org="prod")
        self.sfsh("sync import --objects Contact", org="evil")
        for sql in ["SELECT alias, access_token, refresh_token, client_secret FROM org",
                    "SELECT value FROM setting",
                    "SELECT body FROM local_record",
                    "WITH Contact AS (SELECT * FROM main.local_record) SELECT * FROM Contact",
                    "SELECT sql FROM sqlite_temp_master"]:
            result = self.sfsh(f'local "{sql}"', check=False, org="evil")
            self.assertEqual(result.returncode, 2, f"{sql}: {result.stdout}{result.stderr}")
            for secret in (self.prod["access_token"], self.evil_sim["access_token"], "SHOULD-NOT-PRINT"):
                self.assertNotIn(secret, result.stdout + result.stderr)
        counts = self.sfsh("local 'SELECT COUNT(*) AS n FROM Contact' --csv", org="evil").stdout
        self.assertEqual(counts, "n\n40\n")

    # §3: org data never moves the terminal.
    def test_org_data_is_shown_escaped(self):
        nasty = "Evil\x1b]0;pwned\x07\x1b[2J\u009b31m\u202etxt.exe\u200b"
        headers = {"Authorization": "Bearer " + self.prod["access_token"]}
        created = requests.post(self.prod["instance_url"] + "/services/data/v59.0/sobjects/Contact", headers=headers,
                                json={"LastName": nasty, "FirstName": nasty, "Title": nasty, "Email": "evil@example.com"},
                                timeout=30).json()
        contact = created["id"]
        self.sfsh("set levitate.tag_fields Title", org="prod")
        self.sfsh("sync contacts", org="prod")
        for command in [f"preview contact {contact}", f"preview contact {contact} --json", f"contacts show {contact}",
                        f"contacts show {contact} --json", "contacts Evil", f"get Contact {contact}",
                        f"SELECT Id, LastName, Title FROM Contact WHERE Id = '{contact}'",
                        f"SELECT Id, LastName FROM Contact WHERE Id = '{contact}' --csv",
                        f"log note {contact} 'called \x1b[2J back'", "activities", "activities --json"]:
            result = self.sfsh(command, check=False, org="prod")
            shown = result.stdout + result.stderr
            for bad in ("\x1b", "\x07", "\u009b", "\u202e", "\u200b"):
                self.assertNotIn(bad, shown, f"{command}: {shown!r}")
            if not command.startswith("activities"):
                self.assertIn("Evil", shown, f"{command} exited {result.returncode}: {shown!r}")

    def peak_rss_mb(self, commands, org):
        """Runs sfsh under /usr/bin/time; returns (result, peak resident MB)."""
        argv = ["/usr/bin/time", "-f", "%M", SFSH, "--home", self.home, "--org", org, "-c", commands]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        return result, int(result.stderr.strip().splitlines()[-1]) / 1024

    # §4: no answer is held past its bound.
    def test_a_huge_body_is_refused_at_its_bound(self):
        def huge(handler, path, status, headers, body):
            if path.endswith("/limits"):
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Connection", "close")
                handler.end_headers()
                block = b" " * (1 << 20)
                try:
                    handler.wfile.write(b"{")
                    for _ in range(200):
                        handler.wfile.write(block)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                handler.close_connection = True
                return True
        self.server.rewrite = huge
        result, peak = self.peak_rss_mb("limits", org="evil")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("larger than 64 MB", result.stderr)
        self.assertLess(peak, 250, f"peak {peak:.0f} MB")

    def test_a_gzip_bomb_stops_at_the_bound(self):
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b" " * (1 << 20)
        bomb = b"".join(packer.compress(block) for _ in range(1024)) + packer.flush()
        self.assertLess(len(bomb), 2 << 20)

        def gzipped(handler, path, status, headers, body):
            if path.endswith("/limits"):
                handler.send(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, bomb)
                return True
        self.server.rewrite = gzipped
        result, peak = self.peak_rss_mb("limits", org="evil")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("larger than 64 MB", result.stderr)
        self.assertLess(peak, 250, f"peak {peak:.0f} MB for a gzip body of {len(bomb)} bytes")

    # §6: a server that drips is given up per attempt, not waited on for minutes.
    def test_a_dripping_server_is_given_up(self):
        def drip(handler, path, status, headers, body):
            if path.endswith("/limits"):
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", "1000")
                handler.end_headers()
                try:
                    for _ in range(1000):
                        handler.wfile.write(b" ")
                        handler.wfile.flush()
                        time.sleep(1)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return True
        self.server.rewrite = drip
        started = time.monotonic()
        result = self.sfsh("limits", check=False, org="evil", env={"SFSH_STALL_SECONDS": "2"}, timeout=120)
        elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, 5, result.stderr)
        self.assertIn("sent almost nothing for 2 s", result.stderr)
        self.assertLess(elapsed, 40)

    # §6: a certificate that does not verify is not retried as if the network were down.
    def test_tls_failures_are_final(self):
        keys = tempfile.mkdtemp(prefix="sfsh-tls-")
        self.addCleanup(shutil.rmtree, keys, True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-keyout", os.path.join(keys, "key.pem"), "-out", os.path.join(keys, "cert.pem")],
                       check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(keys, "cert.pem"), os.path.join(keys, "key.pem"))
        server = Hostile(self.evil_sim["instance_url"])
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        started = time.monotonic()
        result = self.sfsh(f"login --token 00Dx!y --instance https://127.0.0.1:{server.server_address[1]} --alias tls",
                           check=False)
        self.assertEqual(result.returncode, 5, result.stderr)
        self.assertIn("could not be verified", result.stderr)
        self.assertIn("never skips certificate checks", result.stderr)
        self.assertNotIn("attempts", result.stderr)
        self.assertLess(time.monotonic() - started, 10)
    # §9: a query that never says done.
    def test_a_query_that_never_ends_is_stopped(self):
        record = {"attributes": {"type": "Contact"}, "Id": "003000000000001AAA"}

        def endless(handler, path, status, headers, body):
            if "/query" in path:
                page = {"totalSize": 10_000_000, "done": False, "nextRecordsUrl": "/services/data/v59.0/query/01gLOOP-2000",
                        "records": [record]}
                handler.send(200, {"Content-Type": "application/json"}, json.dumps(page).encode())
                return True
        self.server.rewrite = endless
        result = self.sfsh("query --all 'SELECT Id FROM Contact' --csv", check=False, org="evil", timeout=60)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("same next page twice", result.stderr)

        def overfull(handler, path, status, headers, body):
            if "/query" in path:
                page = {"totalSize": 3, "done": False, "records": [record, record],
                        "nextRecordsUrl": "/services/data/v59.0/query/01gMORE-%d" % len(self.server.requests)}
                handler.send(200, {"Content-Type": "application/json"}, json.dumps(page).encode())
                return True
        self.server.rewrite = overfull
        result = self.sfsh("query --all 'SELECT Id FROM Contact LIMIT 5' --csv", check=False, org="evil", timeout=60)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("said has 3", result.stderr)

    # §10: sfsim's control takes orders only from the holder of its token, on a loopback name, from no web page.
    def test_the_sfsim_control_refuses_strangers(self):
        base = self.evil_sim["instance_url"]
        token = self.evil_sim["control_token"]
        self.assertGreaterEqual(len(token), 32)
        mint = {"username": "mallory@x.test", "view_all_data": True}
        for headers, status in [({}, 401), ({"X-Sfsim-Control": "guess-guess-guess"}, 401),
                                ({"X-Sfsim-Control": token, "Host": "rebound.attacker.example"}, 403),
                                ({"X-Sfsim-Control": token, "Origin": "https://attacker.example"}, 403),
                                ({"Content-Type": "text/plain", "Origin": "https://attacker.example"}, 403)]:
            answer = requests.post(base + "/_sfsim/users", data=json.dumps(mint), headers=headers, timeout=10)
            self.assertEqual(answer.status_code, status, f"{headers}: {answer.text}")
            self.assertNotIn("access_token", answer.text)
        calls = requests.get(base + "/_sfsim/calls", headers={"X-Sfsim-Control": token}, timeout=10)
        self.assertEqual(calls.status_code, 200)
        chosen = subprocess.Popen([SFSIM, "--control", "--quiet", "--control-token", "a-chosen-token-0123456789",
                                   "--contacts", "1", "--leads", "1", "--accounts", "1", "--opportunities", "1"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            info = json.loads(chosen.stdout.readline())
            self.assertEqual(info["control_token"], "a-chosen-token-0123456789")
            ok = requests.get(info["instance_url"] + "/_sfsim/calls",
                              headers={"X-Sfsim-Control": "a-chosen-token-0123456789"}, timeout=10)
            self.assertEqual(ok.status_code, 200)
        finally:
            chosen.terminate()
            chosen.wait(timeout=10)
            chosen.stdout.close()
            chosen.stderr.close()

    # §5: the token need not be on the command line, and one typed there is warned about.
    def test_the_token_stays_off_the_command_line(self):
        token = self.prod["access_token"]
        piped = subprocess.run([SFSH, "--home", self.home, "-c",
                                f"login --token - --instance {self.prod['instance_url']} --alias piped"],
                               input=token + "\n", capture_output=True, text=True, timeout=60)
        self.assertEqual(piped.returncode, 0, piped.stderr)
        self.assertNotIn("warning", piped.stderr)
        typed = self.sfsh(f"login --token {token} --instance {self.prod['instance_url']} --alias typed")
        self.assertIn("warning: a token on the command line", typed.stderr)
        for line in (f"login {token}", f"lgoin {token}", f"use {token}"):
            stray = self.sfsh(line, check=False)
            self.assertNotEqual(stray.returncode, 0)
            self.assertNotIn(token, stray.stdout + stray.stderr)

    # §7: a long profiles import does not lock other processes out.
    def test_a_long_import_does_not_lock_out_other_processes(self):
        path = os.path.join(self.home, "many.jsonl")
        with open(path, "w") as out:
            for n in range(60_000):
                out.write(json.dumps({"id": f"m{n:06d}", "attributes": {"email": f"m{n}@x.test", "last_name": "L"},
                                      "audiences": ["big"]}) + "\n")
        importing = subprocess.Popen([SFSH, "--home", self.home, "-c", f"profiles import {path}"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        failures = []
        while importing.poll() is None:
            result = self.sfsh("set levitate.tag_fields Title", check=False, org="prod")
            if result.returncode != 0:
                failures.append(result.stderr)
        out, err = importing.communicate()
        self.assertEqual(importing.returncode, 0, err)
        self.assertEqual(failures, [])
        self.assertIn("imported 60000 profiles", out)

    # §8: a session keeps the org it resolved while another process logs in elsewhere.
    def test_a_session_keeps_its_org(self):
        self.sfsh("use prod")
        session = subprocess.Popen([SFSH, "--home", self.home], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        session.stdin.write("whoami --json\n")
        session.stdin.flush()
        time.sleep(0.5)
        self.sfsh("use evil")
        session.stdin.write("set levitate.tag_fields Title\nshow settings --json\n")
        out, err = session.communicate(timeout=60)
        self.assertEqual(session.returncode, 0, err)
        prod = json.loads(self.sfsh("show settings --json", org="prod").stdout)
        evil = json.loads(self.sfsh("show settings --json", org="evil").stdout)
        value = lambda settings: next((s.get("value") for s in settings if s.get("key") == "levitate.tag_fields"), None)
        self.assertEqual(value(prod), "Title")
        self.assertNotEqual(value(evil), "Title")

    # §11: one Lead per email, whatever its case, in sfsim and in sfsh's matching.
    def test_unicode_emails_are_one_lead(self):
        path = os.path.join(self.home, "unicode.jsonl")
        with open(path, "w") as out:
            for n, email in enumerate(["ünï.test@example.com", "ÜNÏ.TEST@EXAMPLE.COM"]):
                out.write(json.dumps({"id": f"u{n}", "attributes": {"email": email, "last_name": "Ünï", "company": "C"},
                                      "audiences": ["uni"]}) + "\n")
        self.sfsh(f"profiles import {path}")
        self.sfsh("set lytics.audiences uni", org="prod")
        first = json.loads(self.sfsh("sync export --json", org="prod").stdout)
        self.assertEqual(first["created"], 1, first)
        headers = {"Authorization": "Bearer " + self.prod["access_token"]}
        found = requests.get(self.prod["instance_url"] + "/services/data/v59.0/query", headers=headers, timeout=30,
                             params={"q": "SELECT Id FROM Lead WHERE Email = 'ÜNÏ.test@example.com'"}).json()
        self.assertEqual(found["totalSize"], 1, found)


if __name__ == "__main__":
    unittest.main(verbosity=2)
