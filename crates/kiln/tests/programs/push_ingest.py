"""Posts to the address `kiln adhoc --push` gives its command, the way v0
agents and SDKs use legacy /ingest: a folded body for `pyapp.cpu` and a
gzipped pprof file (argv[1]) for `goapp`; with a delay (argv[3]), posts
`main;late` for `pyapp.cpu` after it. Exits with argv[2].

Usage: python3 push_ingest.py <pprof file> <exit code> [<delay seconds>]
"""
import os
import sys
import time
import urllib.request

address = os.environ["PYROSCOPE_SERVER_ADDRESS"]
if os.environ.get("PYROSCOPE_ADHOC_SERVER_ADDRESS") != address:
    sys.exit("PYROSCOPE_ADHOC_SERVER_ADDRESS differs from PYROSCOPE_SERVER_ADDRESS")


def post(query, body):
    request = urllib.request.Request(f"{address}/ingest?{query}", data=body, method="POST")
    with urllib.request.urlopen(request) as response:
        return response.status


with open(sys.argv[1], "rb") as f:
    pprof = f.read()
statuses = [
    post("name=pyapp.cpu&format=folded&sampleRate=100&spyName=test", b"main;work;hot 90\nmain;cold 10\n"),
    post("name=goapp&format=pprof", pprof),
]
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[3]))
    statuses.append(post("name=pyapp.cpu&format=folded&sampleRate=100", b"main;late 50\n"))
print("address", address, "statuses", *statuses)
sys.exit(int(sys.argv[2]))
