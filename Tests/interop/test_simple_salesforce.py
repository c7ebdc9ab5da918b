"""simple-salesforce, unmodified, against a real sfsim process.

simple-salesforce always builds https:// URLs (and logs into *.salesforce.com),
so the requests session it is given carries a transport adapter that rewrites
those URLs to sfsim's http://127.0.0.1:PORT. Nothing in simple-salesforce is patched.

Run: python Tests/interop/test_simple_salesforce.py PATH_TO_SFSIM
"""

import csv
import datetime
import io
import json
import subprocess
import sys
import unittest
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (SalesforceExpiredSession, SalesforceMalformedRequest,
                                          SalesforceRefusedRequest, SalesforceResourceNotFound)

SFSIM = sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim"


class RewriteToSimulator(HTTPAdapter):
    """Sends https://anything/... to http://127.0.0.1:PORT/..."""

    def __init__(self, port):
        super().__init__()
        self.port = port

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        request.url = urlunsplit(("http", f"127.0.0.1:{self.port}", parts.path, parts.query, parts.fragment))
        return super().send(request, **kwargs)


class SimpleSalesforceInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process = subprocess.Popen(
            [SFSIM, "--control", "--quiet", "--contacts", "4500", "--leads", "50", "--seed", "7"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.process.stdout.readline()
        if not line:
            raise RuntimeError("sfsim did not start: " + cls.process.stderr.read())
        cls.info = json.loads(line)
        cls.port = urlsplit(cls.info["instance_url"]).port

    @classmethod
    def tearDownClass(cls):
        cls.process.terminate()
        cls.process.wait(timeout=10)

    def session(self):
        session = requests.Session()
        session.mount("https://", RewriteToSimulator(self.port))
        return session

    def client(self, token=None):
        return Salesforce(instance_url=f"https://127.0.0.1:{self.port}",
                          session_id=token or self.info["access_token"], session=self.session())

    def control(self, method, path, body=None):
        response = requests.request(method, f"{self.info['instance_url']}/_sfsim/{path}", json=body, timeout=10,
                                    headers={"X-Sfsim-Control": self.info["control_token"]})
        self.assertLess(response.status_code, 300, response.text)
        return response.json() if response.content else None

    def fresh_token(self):
        return self.control("POST", "users", {"username": f"interop{id(self)}-{len(self._testMethodName)}@example.com"})[
            "access_token"]

    def test_query_and_query_all_over_several_pages(self):
        sf = self.client()
        first = sf.query("SELECT Id, Name, Account.Name FROM Contact")
        self.assertEqual(first["totalSize"], 4500)
        self.assertFalse(first["done"])
        self.assertEqual(len(first["records"]), 2000)
        self.assertTrue(first["nextRecordsUrl"].startswith("/services/data/v"))
        everything = sf.query_all("SELECT Id FROM Contact")
        self.assertEqual(everything["totalSize"], 4500)
        self.assertEqual(len(everything["records"]), 4500)
        self.assertEqual(len({r["Id"] for r in everything["records"]}), 4500)
        few = sf.query("SELECT Id, Name FROM Contact LIMIT 5")
        self.assertEqual(len(few["records"]), 5)
        self.assertEqual(few["records"][0]["attributes"]["type"], "Contact")

    def test_bulk2_query_in_chunks(self):
        # simple-salesforce's own Bulk API 2.0 client: create, poll, CSV chunks by locator.
        sf = self.client()
        chunks = list(sf.bulk2.Contact.query("SELECT Id, LastName, Account.Name FROM Contact", max_records=2000, wait=1))
        self.assertEqual(len(chunks), 3)
        rows = [row for chunk in chunks for row in csv.DictReader(io.StringIO(chunk))]
        self.assertEqual(len(rows), 4500)
        self.assertEqual(len({row["Id"] for row in rows}), 4500)
        self.assertEqual(set(rows[0]), {"Id", "LastName", "Account.Name"})
        rest = {r["Id"]: r["LastName"] for r in sf.query_all("SELECT Id, LastName FROM Contact")["records"]}
        self.assertEqual({row["Id"]: row["LastName"] for row in rows}, rest)

    def test_describe_and_limits(self):
        sf = self.client()
        describe = sf.Contact.describe()
        self.assertEqual(describe["name"], "Contact")
        self.assertIn("LastName", [f["name"] for f in describe["fields"]])
        limits = sf.limits()
        self.assertIn("DailyApiRequests", limits)
        self.assertIsNotNone(sf.api_usage.get("api-usage"))
        self.assertIn("Contact", [o["name"] for o in sf.describe()["sobjects"]])

    def test_create_and_update_a_lead(self):
        sf = self.client()
        created = sf.Lead.create({"LastName": "Interop", "Company": "Py Co", "Email": "interop.lead@example.com"})
        self.assertTrue(created["success"])
        status = sf.Lead.update(created["id"], {"Company": "Py Co 2"})
        self.assertEqual(status, 204)
        self.assertEqual(sf.Lead.get(created["id"])["Company"], "Py Co 2")
        with self.assertRaises(SalesforceMalformedRequest):
            sf.Lead.create({"LastName": "Dup", "Company": "Py Co", "Email": "interop.lead@example.com"})
        with self.assertRaises(SalesforceResourceNotFound):
            sf.Nope__c.describe()

    def test_expired_session(self):
        token = self.fresh_token()
        sf = self.client(token)
        sf.limits()
        self.control("POST", "sessions/expire", {"token": token})
        with self.assertRaises(SalesforceExpiredSession):
            sf.limits()

    def test_request_limit_exceeded(self):
        sf = self.client()
        limit = self.control("GET", "limits")
        try:
            self.control("POST", "limits", {"daily_limit": limit["used"]})
            with self.assertRaises(SalesforceRefusedRequest):
                sf.query("SELECT Id FROM Lead LIMIT 1")
        finally:
            self.control("POST", "limits", {"daily_limit": 100000})

    def test_oauth_password_login(self):
        sf = Salesforce(username=self.info["username"], password=self.info["password"],
                        consumer_key=self.info["client_id"], consumer_secret=self.info["client_secret"],
                        session=self.session())
        self.assertGreaterEqual(sf.query("SELECT COUNT() FROM Lead")["totalSize"], 50)
        with self.assertRaises(Exception):
            Salesforce(username=self.info["username"], password="wrong", consumer_key=self.info["client_id"],
                       consumer_secret=self.info["client_secret"], session=self.session())

    def test_soap_login_with_security_token(self):
        sf = Salesforce(username=self.info["username"], password=self.info["password"],
                        security_token=self.info["security_token"], session=self.session())
        self.assertEqual(sf.query("SELECT Id FROM Organization")["totalSize"], 1)

    # Issue 21 §3: simple-salesforce's writes by external id, by record and by collection, unchanged.
    def test_upsert_get_by_external_id_and_delete(self):
        sf = self.client()
        created = sf.Lead.upsert("Lytics_Id__c/ss-0001", {"LastName": "Upserted", "Company": "SS Co"}, raw_response=True)
        self.assertEqual(created.status_code, 201)
        self.assertTrue(created.json()["created"])
        lead_id = created.json()["id"]
        self.assertEqual(sf.Lead.upsert("Lytics_Id__c/ss-0001", {"Company": "SS Co 2"}), 200)
        record = sf.Lead.get_by_custom_id("Lytics_Id__c", "ss-0001")
        self.assertEqual((record["Id"], record["Company"]), (lead_id, "SS Co 2"))
        with self.assertRaises(SalesforceResourceNotFound):
            sf.Lead.get_by_custom_id("Lytics_Id__c", "nobody-here")
        with self.assertRaises(SalesforceResourceNotFound):
            sf.Lead.upsert("Email/x@example.com", {"Company": "no"})
        self.assertEqual(sf.Lead.delete(lead_id), 204)
        with self.assertRaises(SalesforceResourceNotFound):
            sf.Lead.get(lead_id)

    def test_collections_upsert_and_delete(self):
        sf = self.client()
        records = [{"attributes": {"type": "Lead"}, "Lytics_Id__c": f"col-{n}", "LastName": f"C{n}", "Company": "Col"}
                   for n in range(3)]
        first = sf.restful("composite/sobjects/Lead/Lytics_Id__c", method="PATCH", json={"allOrNone": False, "records": records})
        self.assertEqual([r["created"] for r in first], [True, True, True])
        second = sf.restful("composite/sobjects/Lead/Lytics_Id__c", method="PATCH", json={"records": records})
        self.assertEqual([r["created"] for r in second], [False, False, False])
        self.assertEqual([r["id"] for r in first], [r["id"] for r in second])
        ids = ",".join(r["id"] for r in first)
        deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": ids, "allOrNone": "false"})
        self.assertTrue(all(r["success"] for r in deleted))
        self.assertEqual(sf.query("SELECT COUNT() FROM Lead WHERE Lytics_Id__c LIKE 'col-%'")["totalSize"], 0)

    # Issue 23 §4: simple-salesforce's getUpdated and getDeleted, unchanged.
    def test_updated_and_deleted(self):
        sf = self.client()
        now = datetime.datetime.now(datetime.timezone.utc)
        start = now - datetime.timedelta(days=1)
        end = now + datetime.timedelta(minutes=10)
        contact = sf.Contact.create({"LastName": "Replicated"})["id"]
        gone = sf.Contact.create({"LastName": "Gone"})["id"]
        sf.Contact.delete(gone)
        # A window is covered up to the last whole minute before the org's now: let two minutes pass.
        self.control("POST", "clock/advance", {"seconds": 120})
        updated = sf.Contact.updated(start, end)
        self.assertIn(contact, updated["ids"])
        self.assertNotIn(gone, updated["ids"])
        self.assertIn("latestDateCovered", updated)
        deleted = sf.Contact.deleted(start, end)
        self.assertIn(gone, [record["id"] for record in deleted["deletedRecords"]])
        self.assertIn("earliestDateAvailable", deleted)
        self.control("POST", "purge", {"ids": [gone]})
        self.assertNotIn(gone, [record["id"] for record in sf.Contact.deleted(start, end)["deletedRecords"]])

    # Issue 20: simple-salesforce's own headless logins, unchanged.
    def test_jwt_bearer_login(self):
        import datetime
        import tempfile
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
        from simple_salesforce.exceptions import SalesforceAuthenticationFailed

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "interop")])
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                       .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                       .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
        username = self.info["username"]
        self.control("POST", "apps", {"client_id": "interop-jwt", "flows": ["jwt"], "pre_authorized": [username],
                                      "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode()})
        with tempfile.NamedTemporaryFile("wb", suffix=".pem") as file:
            file.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
            file.flush()
            sf = Salesforce(username=username, consumer_key="interop-jwt", privatekey_file=file.name, session=self.session())
            self.assertGreaterEqual(sf.query("SELECT COUNT() FROM Lead")["totalSize"], 50)
            # A user the app does not pre-authorize is refused with Salesforce's words.
            with self.assertRaises(SalesforceAuthenticationFailed) as refused:
                Salesforce(username="nobody@example.com", consumer_key="interop-jwt", privatekey_file=file.name,
                           session=self.session())
            self.assertIn("user hasn't approved this consumer", str(refused.exception))

    def test_client_credentials_login(self):
        from simple_salesforce.exceptions import SalesforceAuthenticationFailed
        self.control("POST", "apps", {"client_id": "interop-cc", "client_secret": "interop-secret",
                                      "flows": ["client_credentials"], "run_as": self.info["username"]})
        # simple-salesforce posts to https://DOMAIN.salesforce.com: a My Domain host, as the grant requires.
        sf = Salesforce(consumer_key="interop-cc", consumer_secret="interop-secret", domain="acme.my", session=self.session())
        self.assertGreaterEqual(sf.query("SELECT COUNT() FROM Lead")["totalSize"], 50)
        with self.assertRaises(SalesforceAuthenticationFailed):
            Salesforce(consumer_key="interop-cc", consumer_secret="wrong", domain="acme.my", session=self.session())


if __name__ == "__main__":
    unittest.main(verbosity=2)
