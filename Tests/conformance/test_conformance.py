"""sfsim held against recorded Salesforce answers (issue 21 §2).

Tests/conformance/cases.json keeps, per recording, the facts a client depends on — status, headers, keys in
their recorded order, JSON types, nesting, error lists — citing repository, path and commit. Each case's
request (and its setup) is replayed against a standalone sfsim and its raw answer compared. Python's json keeps
key order, so the order sfsim writes is what is compared.

Run: python Tests/conformance/test_conformance.py PATH_TO_SFSIM
"""

import json
import time
import os
import re
import subprocess
import sys
import unittest
from urllib.parse import urlencode

import requests

SFSIM = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim")
CASES = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json")))


def kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def differences(shape, actual, path="$"):
    """How `actual` differs from the recorded `shape` (see cases.json's "about")."""
    if isinstance(shape, str):
        allowed = shape.split("|")
        return [] if "any" in allowed or kind(actual) in allowed else [f"{path} is {kind(actual)}, recorded {shape}"]
    if isinstance(shape, list):
        if not isinstance(actual, list):
            return [f"{path} is {kind(actual)}, recorded an array"]
        if not shape:
            return [] if not actual else [f"{path} has {len(actual)} elements, recorded none"]
        found = [] if actual else [f"{path} is empty, recorded elements"]
        for index, element in enumerate(actual):
            found += differences(shape[0], element, f"{path}[{index}]")
        return found
    if not isinstance(actual, dict):
        return [f"{path} is {kind(actual)}, recorded an object"]
    recorded = [key for key in shape if key != "..."]
    found = [f"{path}.{key} is missing" for key in recorded if key not in actual]
    order = [key for key in actual if key in recorded]
    if order != [key for key in recorded if key in actual]:
        found.append(f"{path} keys come in the order {order}, recorded {recorded}")
    if "..." not in shape:
        extra = [key for key in actual if key not in shape]
        if extra:
            found.append(f"{path} has keys the recording does not: {extra}")
    for key in recorded:
        if key in actual:
            found += differences(shape[key], actual[key], f"{path}.{key}")
    return found


def at(value, path):
    """The value at a path like $[0].errors[1].statusCode or $.records[0].Owner.Name."""
    for step in re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", path[1:]):
        name, index = step
        value = value[int(index)] if index else value[name]
    return value


class Conformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process = subprocess.Popen([SFSIM, "--quiet", "--control", "--contacts", "450", "--leads", "20", "--accounts", "12",
                                        "--opportunities", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cls.info = json.loads(cls.process.stdout.readline())
        cls.base = cls.info["instance_url"]

    @classmethod
    def tearDownClass(cls):
        cls.process.terminate()
        cls.process.wait(timeout=10)
        cls.process.stdout.close()
        cls.process.stderr.close()

    def send(self, step, variables):
        def fill(text):
            return re.sub(r"\{(\w+)\}", lambda m: variables.get(m.group(1), m.group(0)), text)
        path = fill(step["path"])
        url = self.base + (path if path.startswith("/") else "/services/data/v59.0/" + path)
        if "query" in step:
            url += "?" + urlencode({k: fill(v) for k, v in step["query"].items()})
        headers = dict(step.get("headers", {}))
        token = step.get("token", self.info["access_token"])
        if not path.startswith("/services/oauth2/"):
            headers["Authorization"] = f"Bearer {token}"
        if "form" in step:
            return requests.request(step["method"], url, data={k: fill(v) for k, v in step["form"].items()}, headers=headers, timeout=30)
        if "text" in step:  # a raw body (CSV for a Bulk upload)
            headers.setdefault("Content-Type", "text/csv")
            return requests.request(step["method"], url, data=fill(step["text"]).encode(), headers=headers, timeout=30)
        body = json.loads(fill(json.dumps(step["body"]))) if "body" in step else None
        answer = requests.request(step["method"], url, json=body, headers=headers, timeout=30)
        # A step that waits for a state (a Bulk job's): asked again, on sfsim's running clock, until it holds.
        deadline = time.monotonic() + 60
        while "until" in step and answer.status_code < 300 and at(answer.json(), step["until"]["path"]) != step["until"]["equals"]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: {step['until']} never held: {answer.text[:300]}")
            time.sleep(0.2)
            answer = requests.request(step["method"], url, json=body, headers=headers, timeout=30)
        return answer

    def test_every_recorded_answer(self):
        checked = 0
        for case in CASES["cases"]:
            with self.subTest(case["name"]):
                source = CASES["sources"][case["source"]]
                where = f'{source["repo"]}:{"/".join(p for p in (source["dir"], case["path"]) if p)}@{source["commit"][:12]} ({case["fidelity"]})'
                variables = {"client_id": self.info["client_id"]}
                for step in case.get("setup", []):
                    answer = self.send(step, variables)
                    self.assertLess(answer.status_code, 300, f"setup of {case['name']}: {answer.text}")
                    for name, path in step.get("capture", {}).items():
                        variables[name] = at(answer.json(), path)
                answer = self.send(case["request"], variables)
                self.assertEqual(answer.status_code, case["status"], f"{where}: {answer.text[:300]}")
                for header in case.get("headers", []):
                    self.assertIn(header, answer.headers, f"{where}: no {header} header")
                for header, value in case.get("header_values", {}).items():
                    self.assertEqual(answer.headers.get(header), value, f"{where}: {header}")
                for literal in case.get("literals", []):  # number formats JSON parsing hides (53.0, not 53)
                    self.assertIn(literal, answer.text, f"{where}: {answer.text[:300]}")
                if "csv" in case or "csv_pattern" in case:  # CSV framing: quoting, nulls, line ends
                    if "csv" in case:
                        self.assertEqual(answer.text, case["csv"], where)
                    else:
                        self.assertRegex(answer.text, case["csv_pattern"], where)
                    checked += 1
                    continue
                if case.get("empty"):
                    self.assertEqual(answer.content, b"", where)
                    checked += 1
                    continue
                body = json.loads(answer.text)  # keeps the order sfsim wrote the keys in
                problems = differences(case["shape"], body)
                self.assertEqual(problems, [], f"{where}: {json.dumps(body)[:400]}")
                for path, expected in case.get("values", {}).items():
                    actual = at(body, path)
                    if isinstance(expected, dict) and "prefix" in expected:
                        self.assertTrue(str(actual).startswith(expected["prefix"]), f"{where}: {path} is {actual!r}")
                    elif isinstance(expected, dict) and "pattern" in expected:
                        self.assertRegex(str(actual), expected["pattern"], f"{where}: {path}")
                    else:
                        self.assertEqual(actual, expected, f"{where}: {path}")
                checked += 1
        print(f"{checked} of {len(CASES['cases'])} recorded answers matched", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
