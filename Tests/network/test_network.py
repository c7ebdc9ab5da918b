"""Corporate networks (issue 20 §3) with the real sfsh and sfsim: a loopback forward proxy that sfsh's calls
go through when the environment names it (and not when no_proxy lists the host), and a TLS front with a
private CA that sfsh trusts only with --ca-bundle / SFSH_CA_BUNDLE.

Run: python Tests/network/test_network.py PATH_TO_SFSH PATH_TO_SFSIM
"""

import datetime
import http.client
import http.server
import ipaddress
import json
import os
import shutil
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SFSH = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsh")
SFSIM = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else ".build/debug/sfsim")


class Forwarder(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """Forwards each request to sfsim and remembers the target it was asked for. As a forward proxy it is
    sent absolute URIs (`GET http://127.0.0.1:PORT/path`); as a TLS front, plain paths."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream_port, context=None):
        self.upstream_port = upstream_port
        self.seen = []
        super().__init__(("127.0.0.1", 0), Forward)
        if context is not None:
            self.socket = context.wrap_socket(self.socket, server_side=True)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request, client_address):
        pass  # a client that refuses the certificate hangs up: that is the point


class Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        self.server.seen.append(self.path)
        path = urlsplit(self.path)._replace(scheme="", netloc="").geturl() if self.path.startswith("http") else self.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection", "connection")}
        connection = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=30)
        connection.request(self.command, path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = relay

    def do_CONNECT(self):
        """An HTTPS request through the proxy: a tunnel to the target, bytes piped both ways."""
        import select
        import socket
        self.server.seen.append("CONNECT " + self.path)
        host, port = self.path.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)), timeout=30)
        self.send_response(200, "Connection established")
        self.end_headers()
        client = self.connection
        try:
            while True:
                ready, _, _ = select.select([client, upstream], [], [], 30)
                if not ready:
                    break
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is client else client).sendall(data)
        finally:
            upstream.close()
            self.close_connection = True


def certificates(directory):
    """A private CA and a server certificate it signs for 127.0.0.1; returns (ca.pem, server.pem, server.key)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sfsh test private CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    server = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(server.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


class CorporateNetwork(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = subprocess.Popen([SFSIM, "--quiet", "--contacts", "30", "--leads", "12", "--accounts", "5",
                                    "--opportunities", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cls.info = json.loads(cls.sim.stdout.readline())
        cls.sim_port = urlsplit(cls.info["instance_url"]).port

    @classmethod
    def tearDownClass(cls):
        cls.sim.terminate()
        cls.sim.wait(timeout=10)
        cls.sim.stdout.close()
        cls.sim.stderr.close()

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="sfsh-network-")
        self.addCleanup(shutil.rmtree, self.home, True)

    def sfsh(self, line, env=None, stdin=None, args=()):
        environment = {k: v for k, v in os.environ.items()
                       if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "sfsh_ca_bundle")}
        environment.update(env or {})
        return subprocess.run([SFSH, "--home", self.home, *args, "-c", line], input=stdin, capture_output=True, text=True,
                              timeout=120, env=environment)

    def test_calls_go_through_the_proxy_the_environment_names_and_not_when_no_proxy_lists_the_host(self):
        proxy = Forwarder(self.sim_port)
        self.addCleanup(lambda: (proxy.shutdown(), proxy.server_close()))
        env = {"http_proxy": f"http://127.0.0.1:{proxy.server_address[1]}"}
        login = self.sfsh(f"login --token - --instance {self.info['instance_url']} --alias sim", env=env,
                          stdin=self.info["access_token"] + "\n")
        self.assertEqual(login.returncode, 0, login.stderr)
        counted = self.sfsh("count Lead", env=env)
        self.assertEqual(counted.returncode, 0, counted.stderr)
        self.assertIn("12", counted.stdout)
        self.assertTrue(any(path.startswith(self.info["instance_url"] + "/services/data/") for path in proxy.seen), proxy.seen)
        check = self.sfsh("check --json", env=env)
        route = next(item for item in json.loads(check.stdout) if item["check"] == "network route")
        self.assertIn(f"through http://127.0.0.1:{proxy.server_address[1]} (http_proxy)", route["detail"])
        # no_proxy lists the host: straight to sfsim, and check says so.
        before = len(proxy.seen)
        env["no_proxy"] = "localhost,127.0.0.1"
        self.assertEqual(self.sfsh("count Lead", env=env).returncode, 0)
        self.assertEqual(len(proxy.seen), before)
        check = self.sfsh("check --json", env=env)
        route = next(item for item in json.loads(check.stdout) if item["check"] == "network route")
        self.assertIn("no_proxy lists the host", route["detail"])

    def test_a_private_ca_is_trusted_only_through_the_ca_bundle(self):
        ca, server_cert, server_key = certificates(self.home)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(server_cert, server_key)
        front = Forwarder(self.sim_port, context)
        self.addCleanup(lambda: (front.shutdown(), front.server_close()))
        instance = f"https://127.0.0.1:{front.server_address[1]}"
        token = self.info["access_token"] + "\n"
        # The system's CAs do not know the private one: refused, and nothing is stored.
        refused = self.sfsh(f"login --token - --instance {instance} --alias tls", stdin=token)
        self.assertNotEqual(refused.returncode, 0)
        self.assertRegex(refused.stderr.lower(), "certificate|tls|ssl")
        # --ca-bundle trusts it; so does SFSH_CA_BUNDLE, for the daemon and scripts.
        trusted = self.sfsh(f"login --token - --instance {instance} --alias tls", stdin=token, args=("--ca-bundle", ca))
        self.assertEqual(trusted.returncode, 0, trusted.stderr)
        counted = self.sfsh("count Lead", env={"SFSH_CA_BUNDLE": ca})
        self.assertEqual(counted.returncode, 0, counted.stderr)
        self.assertIn("12", counted.stdout)
        check = self.sfsh("check --json", args=("--ca-bundle", ca))
        route = next(item for item in json.loads(check.stdout) if item["check"] == "network route")
        self.assertIn(f"the CA bundle {os.path.realpath(ca)}", route["detail"].replace(self.home, os.path.realpath(self.home)))
        # A bundle that is not one: a usage error before anything is sent.
        # HTTPS through a proxy the environment names (HTTPS_PROXY): a CONNECT tunnel, TLS verified end to end.
        proxy = Forwarder(self.sim_port)
        self.addCleanup(lambda: (proxy.shutdown(), proxy.server_close()))
        tunneled = self.sfsh("count Lead", env={"HTTPS_PROXY": f"http://127.0.0.1:{proxy.server_address[1]}", "SFSH_CA_BUNDLE": ca})
        self.assertEqual(tunneled.returncode, 0, tunneled.stderr)
        self.assertIn(f"CONNECT 127.0.0.1:{front.server_address[1]}", proxy.seen)
        bad = self.sfsh("count Lead", args=("--ca-bundle", os.path.join(self.home, "missing.pem")))
        self.assertEqual(bad.returncode, 2)
        self.assertIn("is not a readable PEM file of certificates", bad.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
