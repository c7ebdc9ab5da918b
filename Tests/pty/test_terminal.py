"""Drives the real sfsh binary through a pseudo-terminal.

What only a terminal shows: the prompt, TAB completion, history recall with
the up arrow across two sessions, Ctrl-C clearing a line, Ctrl-D exiting 0,
and a secret prompt whose line never reaches the history file. Beside them, when
a session opens the home's database: a terminal session at its start, a script's
at the first command that needs it (issue 25).

Run: python Tests/pty/test_terminal.py PATH_TO_SFSH
"""

import json
import os
import subprocess
import time
import urllib.request
import shutil
import sys
import tempfile
import unittest

import pexpect

SFSH = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsh")
SFSIM = os.path.join(os.path.dirname(SFSH), "sfsim")
TIMEOUT = 20
PROMPT = "sfsh> "
PROMPT_RE = r"sfsh(:\S+)?> $"


class TerminalTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="sfsh-pty-")
        self.home = os.path.join(self.root, "home")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.root,
            "SFSH_HOME": self.home,
            "TERM": "dumb",
            "LANG": "C.UTF-8",
        }

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def spawn(self):
        child = pexpect.spawn(SFSH, [], env=self.env, encoding="utf-8", timeout=TIMEOUT,
                              dimensions=(24, 100), cwd=self.root)
        log = open(os.path.join(self.root, "transcript.log"), "a")
        self.addCleanup(log.close)
        child.logfile_read = log
        self.expect(child, PROMPT)
        return child

    def expect(self, child, pattern):
        try:
            return child.expect(pattern)
        except (pexpect.TIMEOUT, pexpect.EOF) as error:
            self.fail(f"waiting for {pattern!r}; saw:\n{child.before!r}\n({type(error).__name__})")

    def quit(self, child):
        # Ctrl-D typed while a command still runs reaches the terminal in cooked
        # mode and is lost when libedit takes over, as with any line editor:
        # wait for the prompt (the caller may have consumed it already).
        try:
            child.expect(PROMPT_RE, timeout=0.5)
        except pexpect.TIMEOUT:
            pass
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        child.close()
        return child.exitstatus

    def test_prompt_and_ctrl_d_exits_zero(self):
        child = self.spawn()
        self.assertEqual(self.quit(child), 0)

    def test_tab_completes_a_command(self):
        child = self.spawn()
        child.send("hist\t")
        self.expect(child, "history ")
        child.send("5\r")
        self.expect(child, PROMPT)
        child.send("ech\tcompleted\r")
        self.expect(child, "\r\ncompleted\r\n")
        self.expect(child, PROMPT)
        self.assertEqual(self.quit(child), 0)

    def test_tab_completes_settings_keys_and_values(self):
        child = self.spawn()
        child.send("set histo\t")
        self.expect(child, "history_size ")
        child.sendcontrol("u")
        child.send("set format j\t\r")
        self.expect(child, PROMPT)
        child.send("set format\r")
        self.expect(child, '"value": "json"')
        self.assertEqual(self.quit(child), 0)

    def test_history_recall_across_sessions(self):
        child = self.spawn()
        child.send("echo first-session-line\r")
        self.expect(child, "first-session-line\r\n")
        self.expect(child, PROMPT)
        self.assertEqual(self.quit(child), 0)

        child = self.spawn()
        child.send("\x1b[A")  # up arrow
        self.expect(child, "echo first-session-line")
        child.send("\r")
        self.expect(child, "\r\nfirst-session-line\r\n")
        self.expect(child, PROMPT)
        self.assertEqual(self.quit(child), 0)

    def test_ctrl_c_clears_the_line(self):
        child = self.spawn()
        child.send("echo should-not-run")
        self.expect(child, "should-not-run")
        child.sendcontrol("c")
        self.expect(child, PROMPT)
        child.send("echo after-interrupt\r")
        self.expect(child, "\r\nafter-interrupt\r\n")
        self.expect(child, PROMPT)
        self.assertEqual(self.quit(child), 0)
        with open(os.path.join(self.root, "transcript.log")) as log:
            self.assertNotIn("\nshould-not-run", log.read())

    def test_secret_prompt_stays_out_of_history(self):
        child = self.spawn()
        child.send("set client_secret\r")
        self.expect(child, "client_secret: ")
        child.send("S3cr3t-typed-at-prompt\r")
        self.expect(child, PROMPT)
        child.send("set client_secret S3cr3t-on-the-line\r")
        self.expect(child, PROMPT)
        child.send("show settings\r")
        self.expect(child, "redacted")
        self.expect(child, PROMPT)
        self.assertEqual(self.quit(child), 0)
        with open(os.path.join(self.home, "history")) as history:
            saved = history.read()
        self.assertIn("set client_secret\n", saved)
        self.assertIn("show settings\n", saved)
        self.assertNotIn("S3cr3t", saved)
        with open(os.path.join(self.root, "transcript.log")) as log:
            self.assertNotIn("S3cr3t-typed-at-prompt", log.read())

    def test_secrets_are_judged_after_lexing_whatever_else_is_wrong(self):
        child = self.spawn()
        for line in ["set --json client_secret S3cr3t-json", "set -- client_secret S3cr3t-dashes",
                     "login --password S3cr3t-flag", "lgin --token S3cr3t-typo", "echo visible"]:
            child.send(line + "\r")
            self.expect(child, PROMPT)
        self.assertEqual(self.quit(child), 0)
        with open(os.path.join(self.home, "history")) as history:
            saved = history.read()
        self.assertIn("echo visible\n", saved)
        self.assertNotIn("S3cr3t", saved)
        with open(os.path.join(self.root, "transcript.log")) as log:
            shown = log.read()
        # Typed characters are echoed by the line editor; what sfsh itself prints never repeats them.
        for secret in ["S3cr3t-flag", "S3cr3t-typo"]:
            self.assertEqual(shown.count(secret), 1, secret)

    def test_password_login_echoes_nothing_and_saves_nothing(self):
        child = pexpect.spawn(SFSH, ["--demo"], env=self.env, encoding="utf-8", timeout=TIMEOUT,
                              dimensions=(24, 100), cwd=self.root)
        log = open(os.path.join(self.root, "transcript.log"), "a")
        self.addCleanup(log.close)
        child.logfile_read = log
        self.expect(child, r"logged into demo as \S+ at (http://127\.0\.0\.1:\d+)")
        url = child.match.group(1)
        self.expect(child, "sfsh:demo> ")
        child.send("set client_id sfsim-connected-app\r")
        self.expect(child, "sfsh:demo> ")
        child.send("set client_secret\r")
        self.expect(child, "client_secret: ")
        child.send("sfsim-consumer-secret\r")
        self.expect(child, "sfsh:demo> ")
        child.send(f"login --password --username admin@sfsim.example.com --login-url {url} --alias pw\r")
        self.expect(child, "password: ")
        child.send("sfsim-password\r")
        self.expect(child, "security token")
        child.send("SFSIMTOKEN\r")
        self.expect(child, "logged into pw")
        self.expect(child, "sfsh:pw> ")
        self.assertEqual(self.quit(child), 0)
        with open(os.path.join(self.home, "history")) as history:
            saved = history.read()
        self.assertIn("login --password", saved)
        for secret in ("sfsim-password", "SFSIMTOKEN", "sfsim-consumer-secret"):
            self.assertNotIn(secret, saved)
        with open(os.path.join(self.root, "transcript.log")) as transcript:
            shown = transcript.read()
        for secret in ("sfsim-password", "SFSIMTOKEN", "sfsim-consumer-secret"):
            self.assertNotIn(secret, shown)

    def test_tab_completes_sobjects_and_fields_from_the_cache(self):
        child = pexpect.spawn(SFSH, ["--demo"], env=self.env, encoding="utf-8", timeout=TIMEOUT,
                              dimensions=(24, 100), cwd=self.root)
        self.expect(child, "sfsh:demo> ")
        child.send("objects\r")
        self.expect(child, "10 of 10 objects")
        self.expect(child, "sfsh:demo> ")
        child.send("describe Cont\t")
        self.expect(child, "Contact ")
        child.send("\r")
        self.expect(child, "Contact \\(Contact\\): \\d+ fields")
        self.expect(child, "sfsh:demo> ")
        child.send("fields Contact Nick\t")
        self.expect(child, "Nickname__c ")
        child.send("\r")
        self.expect(child, "1 of \\d+ fields")
        self.expect(child, "sfsh:demo> ")
        self.assertEqual(self.quit(child), 0)

    def test_sync_import_shows_a_progress_line_on_the_terminal_only(self):
        child = pexpect.spawn(SFSH, ["--demo"], env=self.env, encoding="utf-8", timeout=TIMEOUT,
                              dimensions=(24, 120), cwd=self.root)
        log = open(os.path.join(self.root, "transcript.log"), "a")
        self.addCleanup(log.close)
        child.logfile_read = log
        self.expect(child, "sfsh:demo> ")
        child.send("sync import\r")
        # Rewritten in place on stderr, the objects under way side by side:
        # "\r\x1b[K<object>: done/total · <object>: done/total records, N calls, R rec/s, ETA …".
        self.expect(child, r"\r\x1b\[K(\w+: \d+/\d+ · )*Contact: 200/200( · \w+: \d+/\d+)* records, \d+ calls, \d+ rec/s, ETA")
        self.expect(child, r"run 1 succeeded: 8 calls \(planned 8\)")
        self.expect(child, "sfsh:demo> ")
        child.send("sync import --json\r")
        self.expect(child, r'"status" : "succeeded"|"status": "succeeded"')
        self.expect(child, "sfsh:demo> ")
        self.assertNotIn("rec/s", child.before)
        self.assertEqual(self.quit(child), 0)

    def test_ctrl_c_stops_a_local_query_and_a_request_in_flight(self):
        """Issue 18 §6: a never-ending recursive CTE and a request to a server that does not answer both stop."""
        sim = subprocess.Popen([SFSIM, "--control", "--quiet", "--contacts", "20", "--leads", "5", "--accounts", "3",
                                "--opportunities", "3"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(sim.wait, 10)
        self.addCleanup(sim.terminate)
        info = json.loads(sim.stdout.readline())
        sim.stdout.close()
        child = self.spawn()
        child.send(f"login --token {info['access_token']} --instance {info['instance_url']} --alias sim\r")
        self.expect(child, "sfsh:sim> ")
        child.send("sync import --objects Contact\r")
        self.expect(child, "sfsh:sim> ")
        child.send("local 'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT COUNT(*) FROM n'\r")
        time.sleep(0.5)
        child.sendcontrol("c")
        self.expect(child, "interrupted")
        self.expect(child, "sfsh:sim> ")
        # Every call now waits 60 s in sfsim: Ctrl-C must not.
        urllib.request.urlopen(urllib.request.Request(
            info["instance_url"] + "/_sfsim/faults", method="POST",
            data=json.dumps({"script": [{"kind": "delay", "seconds": 60, "count": 10}]}).encode(),
            headers={"X-Sfsim-Control": info["control_token"], "Content-Type": "application/json"}), timeout=10).read()
        child.send("limits\r")
        time.sleep(1)
        started = time.monotonic()
        child.sendcontrol("c")
        self.expect(child, "interrupted")
        self.expect(child, "sfsh:sim> ")
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(self.quit(child), 0)

    def test_continuation_prompt(self):
        child = self.spawn()
        child.send("echo one \\\r")
        self.expect(child, r"\.\.\.> ")
        child.send("two\r")
        self.expect(child, "one two\r\n")
        self.assertEqual(self.quit(child), 0)

    def test_a_script_opens_the_store_only_when_a_command_needs_it(self):
        """Issue 25: `-c help` and `-c 'echo x'` never open the database (a broken one does not stop them); a
        command that needs it fails with the store's message; a terminal session says so at its start."""
        def run(*commands):
            return subprocess.run([SFSH, "-c", "; ".join(commands)], env=self.env, cwd=self.root,
                                  capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(run("set format json").returncode, 0)
        database = os.path.join(self.home, "sfsh.db")
        with open(database, "rb") as file:
            before = file.read()
        shown = run("help")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(json.loads(shown.stdout)[0]["name"], "help")  # the stored format, read without opening
        with open(database, "rb") as file:
            self.assertEqual(file.read(), before)

        with open(database, "wb") as file:
            file.write(b"not a database " * 1000)
        self.assertEqual(run("help").returncode, 0)
        echoed = run("echo x")
        self.assertEqual((echoed.returncode, echoed.stdout), (0, "x\n"))
        listed = run("orgs")
        self.assertEqual(listed.returncode, 1)
        self.assertIn("file is not a database", listed.stderr)
        child = pexpect.spawn(SFSH, [], env=self.env, encoding="utf-8", timeout=TIMEOUT, cwd=self.root)
        self.expect(child, "file is not a database")
        child.expect(pexpect.EOF)
        child.close()
        self.assertEqual(child.exitstatus, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
