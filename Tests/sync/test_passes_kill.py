"""SIGKILL the real sfsh process while `sync import` runs its extra passes (issue 23): the delete
reconciliation (getDeleted, then the Id listing) and the formula refresh, through REST pages and
through Bulk API 2.0 jobs.

A standalone sfsim slows every call so the kills land inside the run. Before each kill the org
deletes and purges two Contacts (which no incremental read can see) and changes an Account's tier
(which changes its Contacts' formula without their SystemModstamp). A pass marks nothing from a
partial list and writes only what it read whole, so after the kills one finishing run must leave
exactly the org's Contacts (Id, SystemModstamp) and every Contact's formula value as the org reads
it; no run may be left running.

Run: python Tests/sync/test_passes_kill.py PATH_TO_SFSH PATH_TO_SFSIM
"""

import csv
import io
import json
import random
import subprocess
import sys
import time

from simcase import SimCase

SFSH = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsh"
SFSIM = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim"
KILLS = 14
REST = "sync import --objects Contact --batch-size 200"
BULK = "sync import --objects Contact --bulk --chunk-size 300"


class PassesSurviveKills(SimCase):
    SFSH, SFSIM = SFSH, SFSIM
    SIM_ARGS = ["--seed", "23", "--contacts", "1500", "--leads", "10", "--accounts", "120", "--opportunities", "10"]
    HOME_PREFIX = "sfsh-passes-kill-"

    def rest(self, method, path, body=None):
        response = self.http.request(method, self.url + "/services/data/v59.0/" + path, json=body, timeout=30)
        self.assertLess(response.status_code, 300, response.text)
        return response.json() if response.content else None

    def org_contacts(self):
        return {r["Id"]: (r["SystemModstamp"], r["Account_Tier__c"])
                for r in self.query("SELECT Id, SystemModstamp, Account_Tier__c FROM Contact")}

    def local_contacts(self):
        out = self.sfsh("local 'SELECT Id, SystemModstamp, Account_Tier__c FROM Contact' --csv --limit 10000000").stdout
        return {row["Id"]: (row["SystemModstamp"], row["Account_Tier__c"] or None) for row in csv.DictReader(io.StringIO(out))}

    def change_the_org(self, rng, step):
        """Two Contacts deleted and purged from the Recycle Bin, one Account's tier changed."""
        contacts = [r["Id"] for r in self.query("SELECT Id FROM Contact")]
        gone = rng.sample(contacts, 2)
        for contact in gone:
            self.rest("DELETE", f"sobjects/Contact/{contact}")
        self.control("POST", "purge", {"ids": gone})
        accounts = sorted({r["AccountId"] for r in self.query("SELECT AccountId FROM Contact WHERE AccountId != null")})
        tier = ["Gold", "Silver", "Bronze"][step % 3]
        self.rest("PATCH", f"sobjects/Account/{rng.choice(accounts)}", {"Tier__c": tier})

    def api_calls(self):
        calls = self.control("GET", "calls").json()["calls"]
        return [call for call in calls if not call["path"].startswith("/_sfsim")]

    def wait_for_calls(self, count, process, limit=60):
        deadline = time.monotonic() + limit
        while process.poll() is None and time.monotonic() < deadline and len(self.api_calls()) < count:
            time.sleep(0.01)

    def test_kills_inside_the_passes_lose_and_double_nothing(self):
        self.sfsh(f"login --token {self.info['access_token']} --instance {self.url} --alias sim")
        self.sfsh("set lytics.reconcile_deletes every-run; set lytics.formula_refresh every-run")
        self.sfsh(REST)
        self.control("POST", "faults", {"rate": 1.0, "kinds": [{"kind": "delay", "seconds": 0.06}]})
        rng = random.Random(20261204)
        inside = {"run": 0, "reconcile": 0, "refresh or listing job": 0}
        for step in range(KILLS):
            self.change_the_org(rng, step)
            self.control("DELETE", "calls")
            # The incremental pass costs a describe, a page and a deletes query; the passes come after.
            process = subprocess.Popen([SFSH, "--home", self.home, "-c", BULK if step % 2 else REST],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.wait_for_calls(rng.randint(4, 12), process)
            time.sleep(rng.uniform(0, 0.05))
            if process.poll() is None:
                inside["run"] += 1
                calls = self.api_calls()
                if any("/sobjects/Contact/deleted" in call["path"] for call in calls):
                    inside["reconcile"] += 1
                if any("/jobs/query" in call["path"] for call in calls) and step % 2 == 0:
                    inside["refresh or listing job"] += 1
            process.kill()
            process.wait()
        self.control("DELETE", "faults")
        finishing = json.loads(self.sfsh(REST + " --json").stdout)
        self.assertEqual(finishing["status"], "succeeded", finishing)
        self.assertEqual(self.local_contacts(), self.org_contacts(), "the local Contacts differ from the org's")
        runs = json.loads(self.sfsh("runs 100 --json").stdout)
        self.assertNotIn("running", {run["status"] for run in runs})
        self.assertGreaterEqual(inside["run"], KILLS // 2, f"most kills should land inside a run: {inside}")
        self.assertGreaterEqual(inside["reconcile"], 3, f"kills should land inside the reconciliation: {inside}")
        print(f"passes: {inside['run']} of {KILLS} kills inside a run, {inside['reconcile']} after getDeleted, "
              f"{inside['refresh or listing job']} of the REST runs after a pass's Bulk job", file=sys.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
