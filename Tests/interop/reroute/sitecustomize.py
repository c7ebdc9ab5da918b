"""Reroutes Salesforce's hosts to sfsim (SFSIM_URL) for unmodified connectors: every requests adapter sends there."""
import os
from urllib.parse import urlsplit, urlunsplit

_SIM = os.environ.get("SFSIM_URL")
if _SIM:
    import requests.adapters

    _sim = urlsplit(_SIM)
    _send = requests.adapters.HTTPAdapter.send

    def _rerouted(self, request, **kwargs):
        parts = urlsplit(request.url)
        if parts.hostname and (parts.hostname.endswith(".salesforce.com") or parts.hostname == _sim.hostname):
            request.url = urlunsplit((_sim.scheme, _sim.netloc, parts.path, parts.query, parts.fragment))
        return _send(self, request, **kwargs)

    requests.adapters.HTTPAdapter.send = _rerouted
