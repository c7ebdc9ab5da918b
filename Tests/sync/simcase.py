"""The harness the process tests of Tests/sync share: a standalone sfsim with its test control, a private sfsh
home, and helpers to run sfsh, drive sfsim's control endpoints and read the org through its REST API."""

import json
import os
import subprocess
import tempfile
import unittest

import requests


class SimCase(unittest.TestCase):
    """Subclasses set SFSH, SFSIM, SIM_ARGS (sfsim's flags besides --control --quiet) and HOME_PREFIX."""
    SFSH = ".build/debug/sfsh"
    SFSIM = ".build/debug/sfsim"
    SIM_ARGS = []
    HOME_PREFIX = "sfsh-test-"

    @classmethod
    def setUpClass(cls):
        cls.sim = subprocess.Popen([cls.SFSIM, "--control", "--quiet"] + cls.SIM_ARGS,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.sim.stdout.readline()
        if not line:
            raise RuntimeError("sfsim did not start: " + cls.sim.stderr.read())
        cls.info = json.loads(line)
        cls.url = cls.info["instance_url"]
        cls.home = tempfile.mkdtemp(prefix=cls.HOME_PREFIX)
        os.chmod(cls.home, 0o700)
        cls.http = requests.Session()
        cls.http.headers["Authorization"] = "Bearer " + cls.info["access_token"]

    @classmethod
    def tearDownClass(cls):
        cls.sim.terminate()
        cls.sim.wait(timeout=10)

    def sfsh(self, commands, check=True):
        result = subprocess.run([self.SFSH, "--home", self.home, "-c", commands], capture_output=True, text=True, timeout=600)
        if check and result.returncode != 0:
            self.fail(f"sfsh -c {commands!r} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def control(self, method, path, body=None):
        response = self.http.request(method, self.url + "/_sfsim/" + path, json=body, timeout=30,
                                     headers={"X-Sfsim-Control": self.info["control_token"]})
        self.assertLess(response.status_code, 300, response.text)
        return response

    def query(self, soql):
        records = []
        page = self.http.get(self.url + "/services/data/v59.0/query", params={"q": soql}, timeout=60).json()
        while True:
            records += page["records"]
            if page["done"]:
                return records
            page = self.http.get(self.url + page["nextRecordsUrl"], timeout=60).json()

    def calls_made(self, writes=False):
        """The org's API calls sfsim logged since its log was cleared (the control's own are left out);
        with `writes`, only the ones that write (not GET)."""
        calls = self.control("GET", "calls").json()["calls"]
        return sum(1 for call in calls
                   if not call["path"].startswith("/_sfsim") and (not writes or call["method"] != "GET"))
