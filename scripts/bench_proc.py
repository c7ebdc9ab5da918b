"""How the benchmark scripts run a measured process: to its end, its peak RSS (VmHWM) polled from /proc, its CPU
from its own rusage (wait4). Used by bench_connectors.py, bench_import_cpu.py and the export part of scripts/bench.
"""

import collections
import os
import subprocess
import threading
import time

Measured = collections.namedtuple("Measured", "code stdout peak_mb seconds cpu")


def peak_rss_kb(pid):
    """The peak resident set of a running process in KB (VmHWM), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def run_measured(command, stdout_file=None, **kwargs):
    """Runs `command` (stderr dropped) to its end. Returns its exit code, its stdout bytes (b"" when written to
    `stdout_file`), its peak RSS in MB, the wall seconds and its user + system CPU seconds."""
    started = time.monotonic()
    out = open(stdout_file, "wb") if stdout_file else subprocess.PIPE
    child = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, **kwargs)
    chunks = []
    reader = None
    if not stdout_file:
        reader = threading.Thread(target=lambda: chunks.append(child.stdout.read()))
        reader.start()
    peak = 0
    while True:
        peak = max(peak, peak_rss_kb(child.pid))  # before reaping: /proc forgets it then
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid == child.pid:
            break
        time.sleep(0.02)
    if reader:
        reader.join()
    if stdout_file:
        out.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    return Measured(child.returncode, b"".join(chunks), peak / 1024, time.monotonic() - started,
                    usage.ru_utime + usage.ru_stime)
