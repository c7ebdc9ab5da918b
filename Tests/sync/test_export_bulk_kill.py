"""SIGKILL the real sfsh process at random points of `sync export --bulk`, 16 times.

A standalone sfsim (test control on, no duplicate rule: nothing in the org stops a second Lead) slows every
call with its delay fault; each kill waits for observed progress (a number of calls in sfsim's log, then a
short random pause), so the kills land at every step of an ingest job: before it is created, between its
creation and the record of its id, around its upload, its close, its polls and the settling of its results.
Before each run 150 more profiles join the audience, so every run has a job to carry. Afterwards, checked
through sfsim's REST API: no email has two Leads, every exported profile has exactly one, the counts of the
last runs are exact, no run is left running and no ingest job is left Open.

Run: python Tests/sync/test_export_bulk_kill.py PATH_TO_SFSH PATH_TO_SFSIM
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

import sqlite3

import requests

from simcase import SimCase

SFSH = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsh"
SFSIM = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim"
KILLS = 16
FIRST = 600
MORE = 150


class BulkExportSurvivesKills(SimCase):
    SFSH, SFSIM = SFSH, SFSIM
    SIM_ARGS = ["--seed", "17", "--contacts", "50", "--leads", "100", "--accounts", "20", "--opportunities", "5", "--no-duplicate-rule"]
    HOME_PREFIX = "sfsh-bulk-kill-"

    def ingest_jobs(self):
        jobs, path = [], "/services/data/v59.0/jobs/ingest"
        while path:
            page = self.http.get(self.url + path, timeout=30).json()
            jobs += page["records"]
            path = None if page.get("done", True) else page.get("nextRecordsUrl")
        return jobs

    def left_behind(self):
        """The steps the killed run left its ingest jobs at (`export_bulk_job` phases; none: between jobs)."""
        db = sqlite3.connect(os.path.join(self.home, "sfsh.db"))
        try:
            return [phase for (phase,) in db.execute("SELECT phase FROM export_bulk_job")] or ["none"]
        finally:
            db.close()

    def add_profiles(self, start, count, taken):
        path = os.path.join(self.home, "profiles.jsonl")
        with open(path, "w") as out:
            for n in range(start, start + count):
                # The first profiles carry the email of a Lead already in the org (updated); the rest are new.
                email = taken[n] if n < len(taken) else f"bulk{n}@example.com"
                out.write(json.dumps({"id": f"b{n:05d}", "attributes": {
                    "email": email, "first_name": f"F{n}", "last_name": f"L{n}", "company": f"C{n % 9}"},
                    "audiences": ["vip"]}) + "\n")
        self.sfsh(f"profiles import {path}")

    def test_bulk_export_never_creates_two_leads_for_one_email(self):
        self.sfsh(f"login --token {self.info['access_token']} --instance {self.url} --alias sim")
        taken = sorted({r["Email"].lower() for r in self.query("SELECT Email FROM Lead") if r.get("Email")})[:30]
        self.add_profiles(0, FIRST, taken)
        self.sfsh("set lytics.audiences vip")
        total = FIRST

        self.control("POST", "faults", {"rate": 1.0, "kinds": [{"kind": "delay", "seconds": 0.2}]})
        rng = random.Random(20261204)
        inside = 0
        steps = collections.Counter()
        for step in range(KILLS):
            if step:
                self.add_profiles(total, MORE, taken)
                total += MORE
            self.control("DELETE", "calls")
            # A run's calls: describe (cached after the first), then the job's create, upload, close, polls, results.
            target = rng.randint(1, 9)
            process = subprocess.Popen([SFSH, "--home", self.home, "-c", "sync export --bulk"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline and self.calls_made() < target:
                time.sleep(0.01)
            time.sleep(rng.choice([0, 0.05, 0.1, 0.15, 0.3]))
            if process.poll() is None:
                inside += 1
            process.kill()
            process.wait()
            steps.update(self.left_behind())
        self.control("DELETE", "faults")

        final = json.loads(self.sfsh("sync export --bulk --json").stdout)
        self.assertEqual(final["status"], "succeeded", final)
        self.assertEqual(final["failed"], 0, final)
        again = json.loads(self.sfsh("sync export --json").stdout)
        self.assertEqual((again["created"], again["updated"], again["unchanged"], again["failed"]), (0, 0, total, 0), again)

        leads = collections.Counter(r["Email"].lower() for r in self.query("SELECT Email FROM Lead") if r.get("Email"))
        doubled = {email: count for email, count in leads.items() if count > 1}
        self.assertEqual(doubled, {}, "no email may have two Leads")
        wanted = set(taken) | {f"bulk{n}@example.com" for n in range(len(taken), total)}
        self.assertEqual({email for email in wanted if leads[email] != 1}, set())
        exported = json.loads(self.sfsh("exports --json --limit 100000").stdout)
        self.assertEqual(len(exported), total)
        self.assertEqual({row["outcome"] for row in exported} - {"created", "updated", "unchanged"}, set(), exported[:3])
        runs = json.loads(self.sfsh("runs 100 --json").stdout)
        self.assertNotIn("running", {run["status"] for run in runs})
        self.assertEqual([job["id"] for job in self.ingest_jobs() if job["state"] == "Open"], [], "no ingest job may stay Open")
        self.assertGreaterEqual(inside, KILLS // 2, "most kills should land inside a run")
        self.assertGreaterEqual(len(set(steps) - {"none"}), 2, f"kills should leave jobs at several steps: {steps}")
        print(f"bulk export: {inside} of {KILLS} kills inside a run, jobs left at {dict(sorted(steps.items()))}; "
              f"{len(wanted)} emails, one Lead each", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
