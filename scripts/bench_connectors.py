"""Side by side in one run against one sfsim: sfsh's import and the connectors people use today.

One sfsim process with Lead, Contact, Opportunity and Account and a per-call latency injected by its
delay fault (standing for a network). In turn, with the call log cleared before each:
  - `sfsh sync import` into its store three ways: as it runs by default (per object, Bulk API 2.0 after
    the first page when a job costs fewer calls), `--rest` (query pages only) and `--bulk` (a job each),
  - tap-salesforce 2.8.1 (REST, the four objects selected) and airbyte-source-salesforce 2.10.3,
    unmodified, each in its own venv, their login host rerouted to sfsim (Tests/interop/reroute),
    their refresh token from sfsim's device flow; records counted from their output,
  - simple-salesforce `query_all` and a plain keep-alive client, fetch only (the floor), three fields;
    and simple-salesforce again selecting every field the import reads (like for like).
For each: API calls (sfsim's call log), wall time, records/s, peak RSS (VmHWM) and whether every
record arrived. Prints a table and writes JSON.

Usage: python scripts/bench_connectors.py SFSIM SFSH OUT.json [--contacts N] [--leads N] [--accounts N]
       [--opportunities N] [--latency-ms N] [--skip tap,airbyte]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from bench_proc import run_measured

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REROUTE = os.path.join(ROOT, "Tests", "interop", "reroute")
OBJECTS = ["Lead", "Contact", "Opportunity", "Account"]
CONNECTORS = {"tap": ("tap-salesforce==2.8.1", "tap-salesforce", ".venv-tap"),
              "airbyte": ("airbyte-source-salesforce==2.10.3", "source-salesforce", ".venv-airbyte")}


def venv_executable(key):
    package, executable, folder = CONNECTORS[key]
    venv = os.path.join(ROOT, folder)
    path = os.path.join(venv, "bin", executable)
    if not os.path.exists(path):
        if not os.path.exists(os.path.join(venv, "bin", "python")):
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", package], check=True)
    return path


class Bench:
    def __init__(self, options):
        self.options = options
        self.sim = subprocess.Popen([options.sfsim, "--control", "--quiet", "--seed", "41",
                                     "--contacts", str(options.contacts), "--leads", str(options.leads),
                                     "--accounts", str(options.accounts), "--opportunities", str(options.opportunities)],
                                    stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.sim.stdout.readline())
        self.base = self.info["instance_url"]
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Bearer " + self.info["access_token"]
        self.http.headers["X-Sfsim-Control"] = self.info["control_token"]
        self.counts = {o: self.query(f"SELECT COUNT() FROM {o}")["totalSize"] for o in OBJECTS}
        self.work = tempfile.mkdtemp(prefix="sfsh-bench-connectors-")
        os.chmod(self.work, 0o700)

    def query(self, soql):
        return self.http.get(self.base + "/services/data/v59.0/query", params={"q": soql}, timeout=300).json()

    def refresh_token(self):
        device = requests.post(self.base + "/services/oauth2/token", timeout=30,
                               data={"response_type": "device_code", "client_id": self.info["client_id"]}).json()
        requests.post(self.base + "/_sfsim/device/approve", json={"user_code": device["user_code"]}, timeout=30,
                      headers={"X-Sfsim-Control": self.info["control_token"]}).raise_for_status()
        return requests.post(self.base + "/services/oauth2/token", timeout=30,
                             data={"grant_type": "device", "client_id": self.info["client_id"],
                                   "code": device["device_code"]}).json()["refresh_token"]

    def latency(self, on):
        if on and self.options.latency_ms > 0:
            self.http.post(self.base + "/_sfsim/faults", timeout=30, json={
                "rate": 1.0, "kinds": [{"kind": "delay", "seconds": self.options.latency_ms / 1000}]}).raise_for_status()
        else:
            self.http.delete(self.base + "/_sfsim/faults", timeout=30).raise_for_status()

    def calls(self):
        log = self.http.get(self.base + "/_sfsim/calls", timeout=60).json()["calls"]
        return sum(1 for call in log if call["counted"])

    def measure(self, name, run):
        self.http.delete(self.base + "/_sfsim/calls", timeout=30)
        self.latency(True)
        try:
            records, seconds, peak, note = run()
        except Exception as error:  # a client that fails is a row that says so
            records, seconds, peak, note = {}, 0.0, 0.0, f"failed: {error}"
        self.latency(False)
        calls = self.calls()
        total = sum(records.values())
        complete = all(records.get(o, 0) == self.counts[o] for o in OBJECTS)
        return {"client": name, "calls": calls, "seconds": round(seconds, 2), "records": total,
                "records_per_s": round(total / seconds) if seconds else 0, "peak_rss_mb": round(peak),
                "complete": complete, "per_object": records, "note": note}

    # The clients

    def sfsh_import(self, mode):
        def run():
            home = tempfile.mkdtemp(prefix="sfsh-bench-import-", dir=self.work)
            os.chmod(home, 0o700)
            subprocess.run([self.options.sfsh, "--home", home, "-c",
                            f"login --token {self.info['access_token']} --instance {self.base} --alias bench"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            code, out, peak, seconds, _ = run_measured([self.options.sfsh, "--home", home, "-c", " ".join(filter(None, ["sync import", mode, "--json"]))])
            report = json.loads(out)
            records = {o: report["objects"][o]["created"] for o in OBJECTS}
            # Per object: how it was read and its calls (the Bulk target is per 100,000 records per object).
            note = ", ".join(f"{o} {report['objects'][o]['method']} {report['objects'][o]['calls']}" for o in OBJECTS)
            return records, seconds, peak, note if code == 0 else f"exit {code}: {note}"
        return run

    def tap(self):
        executable = venv_executable("tap")
        config = os.path.join(self.work, "tap-config.json")
        with open(config, "w") as out:
            json.dump({"client_id": self.info["client_id"], "client_secret": self.info["client_secret"],
                       "refresh_token": self.refresh_token(), "start_date": "2000-01-01T00:00:00Z",
                       "api_type": "REST", "select_fields_by_default": True}, out)
        env = dict(os.environ, SFSIM_URL=self.base, PYTHONPATH=REROUTE)
        properties = os.path.join(self.work, "tap-properties.json")

        def run():
            # Discovery is part of what a run costs (sfsh describes each object in every run too).
            started = time.monotonic()
            catalog = json.loads(subprocess.run([executable, "--config", config, "--discover"], env=env, check=True,
                                                capture_output=True).stdout)
            catalog["streams"] = [s for s in catalog["streams"] if s["tap_stream_id"] in OBJECTS]
            for stream in catalog["streams"]:
                for entry in stream["metadata"]:
                    if entry["breadcrumb"] == []:
                        entry["metadata"]["selected"] = True
            with open(properties, "w") as out:
                json.dump(catalog, out)
            discovery = time.monotonic() - started
            output = os.path.join(self.work, "tap-out.jsonl")
            code, _, peak, seconds, _ = run_measured([executable, "--config", config, "--properties", properties], env=env,
                                                  stdout_file=output)
            return self.count_singer(output), seconds + discovery, peak, "" if code == 0 else f"exit {code}"
        return run

    def airbyte(self):
        executable = venv_executable("airbyte")
        config = os.path.join(self.work, "airbyte-config.json")
        with open(config, "w") as out:
            json.dump({"client_id": self.info["client_id"], "client_secret": self.info["client_secret"],
                       "refresh_token": self.refresh_token(), "is_sandbox": False, "auth_type": "Client",
                       "start_date": "2000-01-01T00:00:00Z",
                       "streams_criteria": [{"criteria": "exacts", "value": o} for o in OBJECTS]}, out)
        env = dict(os.environ, SFSIM_URL=self.base, PYTHONPATH=REROUTE)
        configured = os.path.join(self.work, "airbyte-catalog.json")

        def run():
            started = time.monotonic()
            discovered = subprocess.run([executable, "discover", "--config", config], env=env, check=True, capture_output=True).stdout
            catalog = [json.loads(line) for line in discovered.splitlines() if line.startswith(b"{")]
            streams = [m for m in catalog if m.get("type") == "CATALOG"][0]["catalog"]["streams"]
            with open(configured, "w") as out:
                json.dump({"streams": [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
                                       for s in streams if s["name"] in OBJECTS]}, out)
            discovery = time.monotonic() - started
            output = os.path.join(self.work, "airbyte-out.jsonl")
            code, _, peak, seconds, _ = run_measured([executable, "read", "--config", config, "--catalog", configured], env=env,
                                                  stdout_file=output)
            counts = {}
            with open(output, "rb") as lines:
                for line in lines:
                    if line.startswith(b'{"type":"RECORD"') or b'"type": "RECORD"' in line[:40]:
                        stream = json.loads(line)["record"]["stream"]
                        counts[stream] = counts.get(stream, 0) + 1
            return counts, seconds + discovery, peak, "" if code == 0 else f"exit {code}"
        return run

    @staticmethod
    def count_singer(path):
        counts = {}
        with open(path, "rb") as lines:
            for line in lines:
                if b'"type": "RECORD"' in line[:40] or b'"type":"RECORD"' in line[:40]:
                    stream = json.loads(line)["stream"]
                    counts[stream] = counts.get(stream, 0) + 1
        return counts

    def import_fields(self, obj):
        """The fields sfsh's import selects: every field the describe shows but compound and base64 ones."""
        describe = self.http.get(self.base + f"/services/data/v59.0/sobjects/{obj}/describe", timeout=60).json()
        return [f["name"] for f in describe["fields"] if f["type"] not in ("address", "location", "base64")]

    def simple_salesforce(self, all_fields=False):
        from simple_salesforce import Salesforce
        base = self.base

        class Rewrite(HTTPAdapter):
            def send(self, request, **kwargs):
                parts = urlsplit(request.url)
                request.url = urlunsplit(("http", urlsplit(base).netloc, parts.path, parts.query, parts.fragment))
                return super().send(request, **kwargs)

        def run():
            session = requests.Session()
            session.mount("https://", Rewrite())
            sf = Salesforce(instance_url=base.replace("http://", "https://"), session_id=self.info["access_token"], session=session)
            selects = {o: ", ".join(self.import_fields(o)) if all_fields else "Id, Name, SystemModstamp" for o in OBJECTS}
            started = time.monotonic()
            counts = {o: len(sf.query_all(f"SELECT {selects[o]} FROM {o}")["records"]) for o in OBJECTS}
            what = "every field the import reads" if all_fields else "3 fields"
            return counts, time.monotonic() - started, 0.0, f"fetch only, {what}; RSS not measured (in process)"
        return run

    def plain(self):
        def run():
            session = requests.Session()
            session.headers["Authorization"] = "Bearer " + self.info["access_token"]
            started = time.monotonic()
            counts = {}
            for o in OBJECTS:
                url, params, n = self.base + "/services/data/v59.0/query", {"q": f"SELECT Id, Name, SystemModstamp FROM {o}"}, 0
                while url:
                    page = session.get(url, params=params, timeout=300).json()
                    n += len(page["records"])
                    url, params = (self.base + page["nextRecordsUrl"], None) if not page["done"] else (None, None)
                counts[o] = n
            return counts, time.monotonic() - started, 0.0, "fetch only, 3 fields; RSS not measured (in process)"
        return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sfsim")
    parser.add_argument("sfsh")
    parser.add_argument("out")
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--opportunities", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--skip", default="")
    options = parser.parse_args()
    skip = set(filter(None, options.skip.split(",")))
    bench = Bench(options)
    rows = []
    try:
        plan = [("sfsh sync import (default, stored)", lambda: bench.sfsh_import("")),
                ("sfsh sync import --rest (stored)", lambda: bench.sfsh_import("--rest")),
                ("sfsh sync import --bulk (stored)", lambda: bench.sfsh_import("--bulk")),
                ("tap-salesforce 2.8.1 (REST)", bench.tap), ("airbyte-source-salesforce 2.10.3", bench.airbyte),
                ("simple-salesforce query_all", bench.simple_salesforce),
                ("simple-salesforce query_all, the import's fields", lambda: bench.simple_salesforce(all_fields=True)),
                ("plain keep-alive client", bench.plain)]
        for name, make in plan:
            if any(name.startswith(prefix) for prefix in ("tap" if "tap" in skip else "\0", "airbyte" if "airbyte" in skip else "\0")):
                continue
            try:
                run = make()
            except Exception as error:
                rows.append({"client": name, "calls": 0, "seconds": 0, "records": 0, "records_per_s": 0, "peak_rss_mb": 0,
                             "complete": False, "per_object": {}, "note": f"could not be set up: {error}"})
                continue
            rows.append(bench.measure(name, run))
            row = rows[-1]
            print(f"{row['client']}: {row['records']} records, {row['calls']} calls, {row['seconds']} s, "
                  f"{row['records_per_s']} records/s, peak RSS {row['peak_rss_mb']} MB, complete {row['complete']} {row['note']}",
                  file=sys.stderr)
    finally:
        bench.sim.terminate()
        bench.sim.wait()
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": f"{os.cpu_count()} cores",
              "org": bench.counts, "latency_ms": options.latency_ms, "rows": rows}
    with open(options.out, "w") as out:
        json.dump(result, out, indent=2)
    print(f"\n| client ({sum(bench.counts.values()):,} records: {bench.counts}; {options.latency_ms:g} ms per call) "
          "| calls | wall s | records/s | peak RSS MB | all records |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['client']}{' — ' + row['note'] if row['note'] else ''} | {row['calls']} | {row['seconds']} "
              f"| {row['records_per_s']:,} | {row['peak_rss_mb'] or '–'} | {'yes' if row['complete'] else 'NO'} |")


if __name__ == "__main__":
    main()
