"""Start-up against the floor (issue 25): `sfsh -c help` and `sfsh -c 'echo x'` with an existing home, beside an empty
`/usr/bin/python3 -c pass`, alternating, 41 rounds; the median wall time of each and its ratio to Python's.

Run: python scripts/bench_startup.py SFSH
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

sfsh = sys.argv[1]
home = tempfile.mkdtemp(prefix="sfsh-bench-start-")
os.chmod(home, 0o700)
subprocess.run([sfsh, "--home", home, "-c", "echo ready"], stdout=subprocess.DEVNULL, check=True)  # the home exists
commands = {
    "python3 -c pass": ["/usr/bin/python3", "-c", "pass"],
    "sfsh -c help": [sfsh, "--home", home, "-c", "help"],
    "sfsh -c 'echo x'": [sfsh, "--home", home, "-c", "echo x"],
}
times = {name: [] for name in commands}
for _ in range(41):
    for name, command in commands.items():
        t0 = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times[name].append((time.perf_counter() - t0) * 1000)
floor = statistics.median(times["python3 -c pass"])
for name, samples in times.items():
    median = statistics.median(samples)
    print(f"start-up {name}: median {median:.1f} ms ({median / floor:.2f}x python3 -c pass; target <= 1.2x)")
