"""`sfsh daemon` as a real process against a standalone sfsim.

1. SIGTERM during a long import: the daemon exits 0 within seconds, the run is
   `interrupted` after a checkpoint, and the next `sfsh daemon --once` finishes it
   with exactly the org's records.
2. While the daemon runs the import, the shell's `sync import` is refused (exit 1,
   naming the daemon's process); after the daemon is SIGKILLed holding the lease,
   `sync import` takes over at once and finishes from the checkpoint.

Run: python Tests/sync/test_daemon.py PATH_TO_SFSH PATH_TO_SFSIM
"""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import requests

SFSH = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsh"
SFSIM = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim"


class Daemon(unittest.TestCase):
    def setUp(self):
        self.sim = subprocess.Popen([SFSIM, "--control", "--quiet", "--seed", "21", "--contacts", "2400", "--leads", "300",
                                     "--accounts", "100", "--opportunities", "100"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (self.sim.terminate(), self.sim.wait(timeout=10), self.sim.stdout.close(), self.sim.stderr.close()))
        self.info = json.loads(self.sim.stdout.readline())
        self.url = self.info["instance_url"]
        self.home = tempfile.mkdtemp(prefix="sfsh-daemon-")
        os.chmod(self.home, 0o700)
        self.sfsh(f"login --token {self.info['access_token']} --instance {self.url} --alias sim; schedule import keep-updated")

    def sfsh(self, commands, check=True):
        result = subprocess.run([SFSH, "--home", self.home, "-c", commands], capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            self.fail(f"sfsh -c {commands!r} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def faults(self, delay):
        if delay:
            requests.post(self.url + "/_sfsim/faults", timeout=30, headers={"X-Sfsim-Control": self.info["control_token"]},
                          json={"rate": 1.0, "kinds": [{"kind": "delay", "seconds": delay}]}).raise_for_status()
        else:
            requests.delete(self.url + "/_sfsim/faults", timeout=30, headers={"X-Sfsim-Control": self.info["control_token"]}).raise_for_status()

    def start_daemon(self):
        """Starts `sfsh daemon --json`; returns the process and a list that fills with its events."""
        process = subprocess.Popen([SFSH, "daemon", "--home", self.home, "--json"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        events = []

        def read():
            for line in process.stderr:
                events.append(json.loads(line))
        threading.Thread(target=read, daemon=True).start()
        self.addCleanup(lambda: (process.kill(), process.wait(), process.stderr.close()))
        return process, events

    def wait_for(self, events, predicate, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(predicate(event) for event in events):
                return
            time.sleep(0.05)
        self.fail(f"no such event in {timeout} s: {events}")

    def wait_until(self, predicate, timeout=60):
        """Polls the store through sfsh (runs, sync status) until `predicate` holds: progress observed, not slept for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        self.fail(f"not reached in {timeout} s")

    def first_run_read(self):
        runs = json.loads(self.sfsh("runs --json").stdout or "[]")
        return runs[0]["read"] if runs else 0

    def org_count(self, obj):
        headers = {"Authorization": "Bearer " + self.info["access_token"]}
        answer = requests.get(self.url + "/services/data/v59.0/query", params={"q": f"SELECT COUNT() FROM {obj}"},
                              headers=headers, timeout=30).json()
        return answer["totalSize"]

    def local_count(self, obj):
        out = self.sfsh(f"local 'SELECT COUNT(*) AS n FROM {obj}' --csv").stdout
        return int(list(csv.DictReader(io.StringIO(out)))[0]["n"])

    def test_sigterm_interrupts_after_a_checkpoint_and_the_next_start_finishes(self):
        self.faults(0.1)
        daemon, events = self.start_daemon()
        self.wait_for(events, lambda e: e["event"] == "started" and e["job"] == "import")
        self.wait_until(lambda: self.first_run_read() > 0)  # a checkpoint is stored
        daemon.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        self.assertEqual(daemon.wait(timeout=20), 0)
        self.assertLess(time.monotonic() - stopped, 10, "the daemon stops within seconds")
        self.wait_for(events, lambda e: e["event"] == "finished", timeout=5)
        finished = [e for e in events if e["event"] == "finished"]
        self.assertEqual(finished[0]["status"], "interrupted", events)
        runs = json.loads(self.sfsh("runs --json").stdout)
        self.assertEqual([run["status"] for run in runs], ["interrupted"])
        self.assertGreater(runs[0]["read"], 0, "a checkpoint was stored before it stopped")

        self.faults(0)
        once = subprocess.run([SFSH, "daemon", "--home", self.home, "--once", "--json"], capture_output=True, text=True, timeout=300)
        self.assertEqual(once.returncode, 0, once.stderr)
        lines = [json.loads(line) for line in once.stderr.splitlines()]
        self.assertIn("resumes interrupted run", [e for e in lines if e["event"] == "started"][0]["why"])
        self.assertEqual([e["status"] for e in lines if e["event"] == "finished"], ["succeeded"])
        for obj in ["Lead", "Contact", "Opportunity", "Account"]:
            self.assertEqual(self.local_count(obj), self.org_count(obj), obj)
        # Nothing more is due now: the next run is 24 h after this one finished. The home may be named
        # before the subcommand too, as `git -C DIR status` users expect.
        for argv in ([SFSH, "daemon", "--home", self.home, "--once", "--json"],
                     [SFSH, "--home", self.home, "daemon", "--once", "--json"]):
            again = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertIn("nothing is due", again.stderr)

    def test_the_shell_is_refused_while_the_daemon_runs_a_job_and_takes_over_a_killed_daemon(self):
        self.faults(0.15)
        daemon, events = self.start_daemon()
        self.wait_for(events, lambda e: e["event"] == "started" and e["job"] == "import")
        self.wait_until(lambda: self.first_run_read() > 0)  # the run holds its lease and has stored a page
        refused = self.sfsh("sync import", check=False)
        self.assertEqual(refused.returncode, 1, refused.stderr)
        self.assertIn("already running: process %d" % daemon.pid, refused.stderr)
        daemon.kill()
        daemon.wait()
        self.faults(0)
        taken = self.sfsh("sync import --json")
        self.assertIn("resuming from the checkpoints", taken.stderr)
        self.assertEqual(json.loads(taken.stdout)["status"], "succeeded")
        statuses = [run["status"] for run in json.loads(self.sfsh("runs --json").stdout)]
        self.assertEqual(statuses, ["succeeded", "interrupted"])
        for obj in ["Lead", "Contact", "Opportunity", "Account"]:
            self.assertEqual(self.local_count(obj), self.org_count(obj), obj)


if __name__ == "__main__":
    unittest.main(verbosity=2)
