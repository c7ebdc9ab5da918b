"""Issue 24 through the real binaries: `sfsh --demo` writes a support bundle, a standalone `sfsim --from-bundle`
serves that org's shape, and every field of every described object is described exactly as the bundle has it;
a file that is not a bundle is refused with a message.

Run: python Tests/bundle/test_from_bundle.py PATH_TO_SFSH PATH_TO_SFSIM
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

import requests

SFSH = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsh"
SFSIM = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim"


class FromBundle(unittest.TestCase):
    def test_a_bundle_replays_as_a_standalone_org(self):
        work = tempfile.mkdtemp(prefix="sfsh-bundle-")
        os.chmod(work, 0o700)
        bundle = os.path.join(work, "acme.zip")
        made = subprocess.run([SFSH, "--home", os.path.join(work, "home"), "--demo", "-c",
                               f"set levitate.tag_fields Account_Tier__c; bundle --out {bundle} --include-records 2 --json"],
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(made.returncode, 0, made.stderr)
        archive = zipfile.ZipFile(bundle)
        self.assertEqual(archive.namelist()[0], "manifest.json")
        manifest = json.loads(archive.read("manifest.json"))
        self.assertEqual(manifest["format"], "sfsh-support-bundle")
        listed = {entry["name"] for entry in manifest["files"]}
        self.assertEqual(listed, set(archive.namelist()) - {"manifest.json"})

        sim = subprocess.Popen([SFSIM, "--from-bundle", bundle, "--quiet", "--contacts", "25"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (sim.terminate(), sim.wait(timeout=10)))
        info = json.loads(sim.stdout.readline())
        http = requests.Session()
        http.headers["Authorization"] = "Bearer " + info["access_token"]
        described = [name for name in archive.namelist() if name.startswith("describes/")]
        self.assertGreaterEqual(len(described), 6)
        for name in described:
            bundled = json.loads(archive.read(name))
            live = http.get(f"{info['instance_url']}/services/data/v59.0/sobjects/{bundled['name']}/describe", timeout=30).json()
            self.assertEqual(len(live["fields"]), len(bundled["fields"]), name)
            for field, expected in zip(live["fields"], bundled["fields"]):
                self.assertEqual(field, expected, f"{bundled['name']}.{expected['name']}")
        # The sample records are there as given (their Ids), with their text hashed.
        sample = json.loads(archive.read("records/Contact.json"))[0]
        record = http.get(f"{info['instance_url']}/services/data/v59.0/sobjects/Contact/{sample['Id']}", timeout=30).json()
        self.assertEqual(record["LastName"], sample["LastName"])
        self.assertTrue(record["LastName"].startswith("h:"))
        # `bundle show` reads it; a file that is not a bundle is refused, by both binaries.
        shown = subprocess.run([SFSH, "--home", os.path.join(work, "home"), "-c", f"bundle show {bundle} --json"],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(json.loads(shown.stdout)["summary"]["org"], "demo")
        junk = os.path.join(work, "junk.zip")
        with open(junk, "w") as out:
            out.write("not a zip")
        refused = subprocess.run([SFSIM, "--from-bundle", junk], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("is not a support bundle", refused.stderr)
        refused = subprocess.run([SFSH, "--home", os.path.join(work, "home"), "--demo", "--from-bundle", junk, "-c", "objects"],
                                 capture_output=True, text=True, timeout=60)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("is not a support bundle", refused.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
