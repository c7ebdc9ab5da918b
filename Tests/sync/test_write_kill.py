"""SIGKILL the real sfsh process at random points of `sync export` and `sync writeback`, 20 times each.

A standalone sfsim (test control on, no duplicate rule: nothing in the org stops a second Lead)
slows every call with its delay fault; each kill waits for observed progress (calls in sfsim's log:
the run's first calls, or a write), so the kills land inside the runs whatever the machine's speed,
some of them between sending a create and recording its answer. Each write-back run has two
composite calls of work (1,050 new activities), so a kill after its first lands inside. Afterwards, checked through sfsim's REST API:
no email has two Leads, every exported profile has its one Lead, and every activity has exactly
one Note. No run may be left marked running.

Run: python Tests/sync/test_write_kill.py PATH_TO_SFSH PATH_TO_SFSIM
"""

import collections
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unittest

import requests

from simcase import SimCase

SFSH = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsh"
SFSIM = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim"
KILLS = 20
PROFILES = 1500
ACTIVITIES = 600


class WritesSurviveKills(SimCase):
    SFSH, SFSIM = SFSH, SFSIM
    SIM_ARGS = ["--seed", "13", "--contacts", "300", "--leads", "100", "--accounts", "50", "--opportunities", "10", "--no-duplicate-rule"]
    HOME_PREFIX = "sfsh-write-kill-"

    def kill_runs(self, rng, commands, between=None):
        """Starts each command and SIGKILLs it on observed progress (calls in sfsim's log), so the kills land
        inside a run whatever the machine's speed; returns how many did."""
        inside = 0
        for step, command in enumerate(commands):
            if between:
                between(step)
            self.control("DELETE", "calls")
            # Most kills once the run has begun (its first calls), every fourth once it has sent a write,
            # then a little later still, so some fall inside a write or between its answer and its commit.
            writes = step % 4 == 3
            target = 1 if writes else rng.randint(1, 2)
            process = subprocess.Popen([SFSH, "--home", self.home, "-c", command],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline and self.calls_made(writes) < target:
                time.sleep(0.01)
            time.sleep(rng.choice([0, 0.03, 0.06, 0.1, 0.2]))
            if process.poll() is None:
                inside += 1
            process.kill()
            process.wait()
        return inside

    def test_1_export_never_creates_two_leads_for_one_email(self):
        self.sfsh(f"login --token {self.info['access_token']} --instance {self.url} --alias sim")
        existing = {r["Email"].lower() for r in self.query("SELECT Email FROM Lead") if r.get("Email")}
        taken = sorted(existing)[:40]
        profiles = os.path.join(self.home, "profiles.jsonl")
        with open(profiles, "w") as out:
            for n in range(PROFILES):
                # 40 profiles carry the email of a Lead already in the org; the rest are new.
                email = taken[n] if n < len(taken) else f"kill{n}@example.com"
                out.write(json.dumps({"id": f"k{n:05d}", "attributes": {
                    "email": email, "first_name": f"F{n}", "last_name": f"L{n}", "company": f"C{n % 9}"},
                    "audiences": ["vip"]}) + "\n")
        self.sfsh(f"profiles import {profiles}")
        self.sfsh("set lytics.audiences vip")

        self.control("POST", "faults", {"rate": 1.0, "kinds": [{"kind": "delay", "seconds": 0.25}]})
        rng = random.Random(20261123)
        commands = ["sync export" if step % 2 else "sync export --no-composite" for step in range(KILLS)]
        inside = self.kill_runs(rng, commands)
        self.control("DELETE", "faults")
        final = json.loads(self.sfsh("sync export --json").stdout)
        self.assertEqual(final["status"], "succeeded", final)
        again = json.loads(self.sfsh("sync export --json").stdout)
        self.assertEqual((again["created"], again["updated"], again["unchanged"]), (0, 0, PROFILES), again)

        leads = collections.Counter(r["Email"].lower() for r in self.query("SELECT Email FROM Lead") if r.get("Email"))
        doubled = {email: count for email, count in leads.items() if count > 1}
        self.assertEqual(doubled, {}, "no email may have two Leads")
        wanted = set(taken) | {f"kill{n}@example.com" for n in range(len(taken), PROFILES)}
        self.assertEqual({email for email in wanted if leads[email] != 1}, set())
        runs = json.loads(self.sfsh("runs 100 --json").stdout)
        self.assertNotIn("running", {run["status"] for run in runs})
        self.assertGreaterEqual(inside, KILLS // 2, "most kills should land inside a run")
        print(f"export: {inside} of {KILLS} kills inside a run; {len(wanted)} emails, one Lead each", file=sys.stderr)

    def test_2_writeback_writes_each_activity_once(self):
        self.sfsh(f"login --token {self.info['access_token']} --instance {self.url} --alias sim2")
        self.sfsh("sync contacts")
        contacts = json.loads(self.sfsh("contacts --json --limit 1000").stdout)
        self.assertEqual(len(contacts), 300)
        kinds = ["note", "email", "call", "card", "text"]
        logged = []

        def log(count):
            """Logs `count` more activities (unique bodies), so every run has work to do."""
            script = os.path.join(self.home, "activities.sfsh")
            with open(script, "w") as out:
                for n in range(len(logged), len(logged) + count):
                    out.write(f"log {kinds[n % 5]} {contacts[n % 300]['id']} activity {n} --subject S{n % 7}\n")
                    logged.append(n)
            result = subprocess.run([SFSH, "--home", self.home, "-f", script], capture_output=True, text=True, timeout=600)
            self.assertEqual(result.returncode, 0, result.stderr)

        log(ACTIVITIES)
        self.control("POST", "faults", {"rate": 1.0, "kinds": [{"kind": "delay", "seconds": 0.25}]})
        rng = random.Random(112358)
        commands = ["sync writeback" if step % 2 else "sync writeback --no-composite" for step in range(KILLS)]
        inside = self.kill_runs(rng, commands, between=lambda step: log(1050) if step else None)
        self.control("DELETE", "faults")
        final = json.loads(self.sfsh("sync writeback --json").stdout)
        self.assertEqual(final["status"], "succeeded", final)

        notes = self.query("SELECT Id, ParentId, Body FROM Note")
        bodies = collections.Counter(note["Body"] for note in notes)
        self.assertEqual({body: count for body, count in bodies.items() if count > 1}, {}, "no activity may have two Notes")
        self.assertEqual(set(bodies), {f"activity {n}" for n in logged})
        activities = json.loads(self.sfsh("activities --json --limit 100000").stdout)
        self.assertEqual({a["state"] for a in activities}, {"written"})
        self.assertEqual(len({a["note_id"] for a in activities}), len(logged))
        self.assertGreaterEqual(inside, KILLS // 2, "most kills should land inside a run")
        print(f"writeback: {inside} of {KILLS} kills inside a run; {len(logged)} activities, one Note each", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
