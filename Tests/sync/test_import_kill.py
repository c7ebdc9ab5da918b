"""SIGKILL the real sfsh process at random points of `sync import`, 20 times.

A standalone sfsim (with its test control) slows every call with its delay
fault so the kills land inside the run. Half the kills meet an org that
changes between them (the run that finishes the cycle and one more incremental
run must then hold exactly the org's records); the other half interrupt a full
read of a still org, after which the next `sync import` alone must finish with
exactly the org's records (every Id with its SystemModstamp, deletes included)
and spend fewer calls than starting over. No run may be left marked running.

Run: python Tests/sync/test_import_kill.py PATH_TO_SFSH PATH_TO_SFSIM
"""

import csv
import io
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
OBJECTS = ["Lead", "Contact", "Opportunity", "Account"]
KILLS = 20


def wait_for_calls(url, token, count, process, limit=60):
    """Waits until sfsim has logged `count` calls since its log was cleared (or `process` ended)."""
    deadline = time.monotonic() + limit
    while process.poll() is None and time.monotonic() < deadline:
        calls = requests.get(url + "/_sfsim/calls", headers={"X-Sfsim-Control": token}, timeout=30).json()["calls"]
        # The control's own requests are logged too: only the org's API counts.
        if sum(1 for call in calls if not call["path"].startswith("/_sfsim")) >= count:
            return
        time.sleep(0.01)


class ImportSurvivesKills(SimCase):
    SFSH, SFSIM = SFSH, SFSIM
    SIM_ARGS = ["--seed", "11", "--contacts", "2400", "--leads", "1600", "--accounts", "300", "--opportunities", "1000"]
    HOME_PREFIX = "sfsh-kill-"

    def rest(self, method, path, body=None):
        response = self.http.request(method, self.url + "/services/data/v59.0/" + path, json=body, timeout=30)
        self.assertLess(response.status_code, 300, response.text)
        return response.json() if response.content else None

    def org_records(self, obj):
        records = {}
        page = self.rest("GET", f"query?q=SELECT+Id,SystemModstamp+FROM+{obj}")
        while True:
            for record in page["records"]:
                records[record["Id"]] = record["SystemModstamp"]
            if page["done"]:
                return records
            page = requests.get(self.url + page["nextRecordsUrl"], headers=self.http.headers, timeout=30).json()

    def local_records(self, obj):
        out = self.sfsh(f"local 'SELECT Id, SystemModstamp FROM {obj}' --csv --limit 10000000").stdout
        return {row["Id"]: row["SystemModstamp"] for row in csv.DictReader(io.StringIO(out))}

    def change_the_org(self, rng, step):
        """A few creates, updates and deletes, so resumed runs meet a moving org."""
        for n in range(3):
            self.rest("POST", "sobjects/Contact", {"LastName": f"Kill{step}-{n}", "Email": f"kill{step}.{n}@example.com"})
        leads = self.rest("GET", "query?q=SELECT+Id+FROM+Lead+ORDER+BY+Id+LIMIT+50")["records"]
        self.rest("PATCH", f"sobjects/Lead/{rng.choice(leads)['Id']}", {"Title": f"Changed at step {step}"})
        opportunities = self.rest("GET", "query?q=SELECT+Id+FROM+Opportunity+ORDER+BY+Id+LIMIT+50")["records"]
        self.rest("DELETE", f"sobjects/Opportunity/{rng.choice(opportunities)['Id']}")

    def kill_runs(self, rng, count, change_org=False, first_full=False, command="sync import --batch-size 200",
                  within=(0.05, 1.2), calls=(1, 12)):
        """Starts `command` `count` times and SIGKILLs it once it has made a random number of calls (seen in
        sfsim's call log, so the kills land inside a run whatever the machine's speed), now and then a little
        later still; returns the kills inside a run."""
        inside = 0
        for step in range(count):
            if change_org and step % 3 == 2:
                self.change_the_org(rng, step)
            line = command + (" --full" if first_full and step == 0 else "")
            self.control("DELETE", "calls")
            target = rng.randint(*calls)
            process = subprocess.Popen([SFSH, "--home", self.home, "-c", line],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_calls(self.url, self.info["control_token"], target, process)
            time.sleep(rng.uniform(0, within[0]))
            if process.poll() is None:
                inside += 1
            process.kill()
            process.wait()
        return inside

    def assert_in_sync(self):
        for obj in OBJECTS:
            remote = self.org_records(obj)
            local = self.local_records(obj)
            self.assertEqual(len(local), len(remote), obj)
            self.assertEqual(local, remote, f"{obj}: local records differ from the org's")

    def test_kills_at_random_points_lose_and_double_nothing(self):
        self.sfsh(f"login --token {self.info['access_token']} --instance {self.url} --alias sim")
        # Every call waits a little, so a run takes long enough to be killed inside.
        self.control("POST", "faults", {"rate": 1.0, "kinds": [{"kind": "delay", "seconds": 0.08}]})
        rng = random.Random(20261122)

        # 1. The org changes between kills. A resumed run finishes its cycle without reading again what the
        #    cycle already finished (changes made meanwhile wait for the next cycle), so the run that
        #    finishes the cycle plus one more incremental run must give exactly the org's records.
        inside = self.kill_runs(rng, KILLS // 2, change_org=True)
        finishing = json.loads(self.sfsh("sync import --batch-size 200 --json").stdout)
        self.assertEqual(finishing["status"], "succeeded")
        following = json.loads(self.sfsh("sync import --batch-size 200 --json").stdout)
        self.assertEqual(following["status"], "succeeded")
        self.control("DELETE", "faults")
        self.assert_in_sync()
        self.control("POST", "faults", {"rate": 1.0, "kinds": [{"kind": "delay", "seconds": 0.08}]})

        # 2. A full read of a still org, killed again and again: the next run alone ends with exactly the
        #    org's records, and spends fewer calls than starting over.
        inside += self.kill_runs(rng, KILLS - KILLS // 2, first_full=True)
        process = subprocess.Popen([SFSH, "--home", self.home, "-c", "sync import --full --batch-size 200"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.control("DELETE", "calls")
        wait_for_calls(self.url, self.info["control_token"], 6, process)  # some pages stored: the next run resumes
        process.kill()
        process.wait()
        final = json.loads(self.sfsh("sync import --batch-size 200 --json").stdout)
        self.control("DELETE", "faults")
        self.assertEqual(final["status"], "succeeded")
        # What starting over would cost now, from the same planner (its COUNT() calls are not the run's).
        full = json.loads(self.sfsh("sync import --dry-run --full --batch-size 200 --json").stdout)
        self.assertLess(final["calls"], full["planned_calls"], f"resuming costs less than starting over: {final}")
        self.assert_in_sync()

        self.assertGreaterEqual(inside, KILLS // 2, "most kills should land inside a run")
        runs = json.loads(self.sfsh("runs 100 --json").stdout)
        # Every kill after its run began left a run (a kill during the first call may come before the run record);
        # the 4 runs that were not killed finished; none is left running.
        self.assertLessEqual(len(runs), KILLS + 4)
        self.assertGreaterEqual(len(runs), KILLS // 2 + 4)
        self.assertNotIn("running", {run["status"] for run in runs})
        self.assertIn("interrupted", {run["status"] for run in runs})
        print(f"{inside + 1} of {KILLS + 1} kills inside a run; the resuming run made {final['calls']} calls "
              f"vs {full['planned_calls']} for a full import", file=sys.stderr)


class BulkImportSurvivesKills(ImportSurvivesKills):
    """The same through Bulk API 2.0 query jobs in small result chunks: a kill lands while a job is
    created, polled or its chunks are stored. Each chunk commits with its job and locator, so the next
    run reads on from the next chunk of the same job (or a new job after the cursor), and ends with
    exactly the org's records. A kill between a job's create and its commit leaves an orphan job in the
    org, never a record read twice."""

    def test_kills_at_random_points_lose_and_double_nothing(self):
        self.sfsh(f"login --token {self.info['access_token']} --instance {self.url} --alias sim")
        self.control("POST", "faults", {"rate": 1.0, "kinds": [{"kind": "delay", "seconds": 0.08}]})
        rng = random.Random(20261123)
        inside = self.kill_runs(rng, KILLS // 2, change_org=True, first_full=True,
                                command="sync import --bulk --chunk-size 300", within=(0.3, 3.0), calls=(1, 6))
        finishing = json.loads(self.sfsh("sync import --bulk --chunk-size 300 --json").stdout)
        self.assertEqual(finishing["status"], "succeeded")
        self.assertEqual({o["method"] for o in finishing["objects"].values() if o["calls"]}, {"bulk"}, finishing)
        following = json.loads(self.sfsh("sync import --bulk --chunk-size 300 --json").stdout)
        self.assertEqual(following["status"], "succeeded")
        self.control("DELETE", "faults")
        self.assert_in_sync()
        # Counts and records committed together: the records created over all the runs are the records stored.
        runs = json.loads(self.sfsh("runs 100 --json").stdout)
        self.assertNotIn("running", {run["status"] for run in runs})
        imported = json.loads(self.sfsh("imported --json").stdout)
        stored = sum(entry["records"] + entry["deleted"] for entry in imported.values())
        self.assertEqual(sum(run["created"] for run in runs), stored)
        self.assertGreaterEqual(inside, KILLS // 4, "most kills should land inside a run")
        print(f"bulk: {inside} of {KILLS // 2} kills inside a run", file=sys.stderr)


class OneImportAtATime(unittest.TestCase):
    """Two real processes on one home: the second `sync import` is refused while the first holds the
    lease (exit 1, saying who and since when); once the holder is SIGKILLed, the next run takes over
    at once and finishes from the checkpoint."""

    def test_a_second_process_is_refused_and_a_dead_holder_is_taken_over(self):
        sim = subprocess.Popen([SFSIM, "--control", "--quiet", "--seed", "12", "--contacts", "1500", "--leads", "200",
                                "--accounts", "100", "--opportunities", "100"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (sim.terminate(), sim.wait(timeout=10)))
        info = json.loads(sim.stdout.readline())
        home = tempfile.mkdtemp(prefix="sfsh-lease-")
        os.chmod(home, 0o700)

        def sfsh(command):
            return subprocess.run([SFSH, "--home", home, "-c", command], capture_output=True, text=True, timeout=300)

        self.assertEqual(sfsh(f"login --token {info['access_token']} --instance {info['instance_url']} --alias sim").returncode, 0)
        requests.post(info["instance_url"] + "/_sfsim/faults", timeout=30, headers={"X-Sfsim-Control": info["control_token"]},
                      json={"rate": 1.0, "kinds": [{"kind": "delay", "seconds": 0.2}]}).raise_for_status()
        first = subprocess.Popen([SFSH, "--home", home, "-c", "sync import --batch-size 200"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_calls(info["instance_url"], info["control_token"], 3, first)  # under way, a page or two stored
        self.assertIsNone(first.poll(), "the first import should still be running")
        second = sfsh("sync import")
        self.assertEqual(second.returncode, 1, second.stderr)
        self.assertIn("already running: process %d" % first.pid, second.stderr)
        status = json.loads(sfsh("sync status --json").stdout)
        self.assertEqual(status[0]["state"], "running")
        first.kill()
        first.wait()
        requests.delete(info["instance_url"] + "/_sfsim/faults", timeout=30, headers={"X-Sfsim-Control": info["control_token"]}).raise_for_status()
        third = sfsh("sync import --json")
        self.assertEqual(third.returncode, 0, third.stderr)
        self.assertIn("resuming from the checkpoints", third.stderr)
        runs = json.loads(sfsh("runs --json").stdout)
        self.assertEqual([run["status"] for run in runs], ["succeeded", "interrupted"])
        self.assertEqual(json.loads(sfsh("sync status --json").stdout)[0]["state"], "idle")


if __name__ == "__main__":
    unittest.main(verbosity=2)
