"""Unmodified airbyte-source-salesforce 2.10.3 reads Lead, Contact, Opportunity and Account from a real
sfsim process: the records it emits are the org's (every Id, and a name field of each), whichever way it
reads an object (REST queryAll for objects with compound fields, Bulk API 2.0 query jobs for the others).

The connector lives in a venv of its own (its dependencies are not the tests'); its token requests to
login.salesforce.com go to sfsim through `reroute/sitecustomize.py` on PYTHONPATH. Its refresh token comes
from sfsim's device flow. Skipped, with a message, only when the package cannot be installed.

Run: python Tests/interop/test_airbyte.py PATH_TO_SFSIM
"""

import collections
import json
import os
import subprocess
import sys
import tempfile
import unittest

import requests

SFSIM = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim"
HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".venv-airbyte")
PACKAGE = "airbyte-source-salesforce==2.10.3"
OBJECTS = {"Lead": "LastName", "Contact": "LastName", "Opportunity": "Name", "Account": "Name"}


def install():
    """The connector's own venv; returns its executable, or None with the reason."""
    executable = os.path.join(VENV, "bin", "source-salesforce")
    if os.path.exists(executable):
        return executable, None
    if not os.path.exists(os.path.join(VENV, "bin", "python")):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    result = subprocess.run([os.path.join(VENV, "bin", "python"), "-m", "pip", "install", "--quiet",
                             "--disable-pip-version-check", PACKAGE], capture_output=True, text=True)
    if result.returncode != 0 or not os.path.exists(executable):
        return None, result.stderr[-2000:]
    return executable, None


class AirbyteReadsTheOrg(unittest.TestCase):
    def test_four_objects_arrive_whole(self):
        executable, why = install()
        if executable is None:
            self.skipTest(f"{PACKAGE} could not be installed: {why}")
        sim = subprocess.Popen([SFSIM, "--control", "--quiet", "--seed", "31", "--contacts", "600", "--leads", "400",
                                "--accounts", "80", "--opportunities", "300"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (sim.terminate(), sim.wait(timeout=10), sim.stdout.close(), sim.stderr.close()))
        info = json.loads(sim.stdout.readline())
        base = info["instance_url"]
        device = requests.post(base + "/services/oauth2/token", timeout=30,
                               data={"response_type": "device_code", "client_id": info["client_id"]}).json()
        requests.post(base + "/_sfsim/device/approve", json={"user_code": device["user_code"]}, timeout=30,
                      headers={"X-Sfsim-Control": info["control_token"]}).raise_for_status()
        token = requests.post(base + "/services/oauth2/token", timeout=30,
                              data={"grant_type": "device", "client_id": info["client_id"], "code": device["device_code"]}).json()

        work = tempfile.mkdtemp(prefix="sfsh-airbyte-")
        config = os.path.join(work, "config.json")
        with open(config, "w") as out:
            json.dump({"client_id": info["client_id"], "client_secret": info["client_secret"],
                       "refresh_token": token["refresh_token"], "is_sandbox": False, "auth_type": "Client",
                       "start_date": "2000-01-01T00:00:00Z",
                       "streams_criteria": [{"criteria": "exacts", "value": name} for name in OBJECTS]}, out)
        environment = dict(os.environ, SFSIM_URL=base, PYTHONPATH=os.path.join(HERE, "reroute"))

        def connector(*arguments):
            result = subprocess.run([executable, *arguments], capture_output=True, text=True, env=environment, timeout=900)
            messages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
            errors = [m for m in messages if m.get("type") == "TRACE" and m["trace"].get("type") == "ERROR"]
            self.assertEqual(errors, [], f"{arguments[0]} reported errors")
            return messages

        status = [m for m in connector("check", "--config", config) if m.get("type") == "CONNECTION_STATUS"]
        self.assertEqual(status[0]["connectionStatus"]["status"], "SUCCEEDED")
        catalog = [m for m in connector("discover", "--config", config) if m.get("type") == "CATALOG"][0]["catalog"]
        streams = [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
                   for s in catalog["streams"] if s["name"] in OBJECTS]
        self.assertEqual(sorted(s["stream"]["name"] for s in streams), sorted(OBJECTS))
        configured = os.path.join(work, "catalog.json")
        with open(configured, "w") as out:
            json.dump({"streams": streams}, out)
        records = collections.defaultdict(dict)
        for message in connector("read", "--config", config, "--catalog", configured):
            if message.get("type") == "RECORD":
                record = message["record"]
                records[record["stream"]][record["data"]["Id"]] = record["data"]

        headers = {"Authorization": "Bearer " + info["access_token"]}
        for name, field in OBJECTS.items():
            org = {}
            url, params = base + "/services/data/v59.0/query", {"q": f"SELECT Id, {field} FROM {name}"}
            while url:
                page = requests.get(url, params=params, headers=headers, timeout=60).json()
                org.update({r["Id"]: r[field] for r in page["records"]})
                url, params = (base + page["nextRecordsUrl"], None) if not page["done"] else (None, None)
            self.assertEqual(set(records[name]), set(org), f"{name}: the Ids airbyte read differ from the org's")
            self.assertEqual({i: r.get(field) for i, r in records[name].items()}, org, f"{name}.{field} differs")
        calls = requests.get(base + "/_sfsim/calls", timeout=30, headers={"X-Sfsim-Control": info["control_token"]}).json()["calls"]
        bulk = [c for c in calls if "/jobs/query" in c["path"]]
        self.assertTrue(bulk, "airbyte reads objects without compound fields through Bulk API 2.0")
        print(f"airbyte-source-salesforce: {sum(len(r) for r in records.values())} records of 4 objects, "
              f"{len(calls)} calls ({len(bulk)} Bulk 2.0)", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
