#!/usr/bin/env python3
"""The heap that files out take: CLIENTS clients, RUNS runs each, every run writing four files of about 1 MiB under
./out/ (the 4 MiB cap), against a service started with a small heap; used heap sampled from /metrics every 50 ms.

Usage: bench/files_heap.py BASE_URL [--json OUT]
"""
import argparse
import collections
import json
import re
import threading
import time
import urllib.request

CLIENTS = 16
RUNS = 5
CODE = ("import os\nos.makedirs('out', exist_ok=True)\nfor i in range(4):\n"
        "    open('out/f%d.bin' % i, 'wb').write(os.urandom(1024 * 1024 - 200))\n")
USED_HEAP = re.compile(r"^memory_usedHeap_bytes\{[^}]*\} (\S+)$", re.M)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--json")
    args = parser.parse_args()
    peak = [0.0]
    stop = threading.Event()
    outcomes = collections.Counter()

    def sample():
        while not stop.is_set():
            found = USED_HEAP.search(urllib.request.urlopen(args.base + "/metrics", timeout=10).read().decode())
            if found:
                peak[0] = max(peak[0], float(found.group(1)))
            time.sleep(0.05)

    def client():
        for _ in range(RUNS):
            body = json.dumps({"code": CODE, "timeoutMs": 10000}).encode()
            request = urllib.request.Request(args.base + "/v1/runs", data=body,
                                             headers={"Content-Type": "application/json"})
            try:
                result = json.load(urllib.request.urlopen(request, timeout=120))
                outcomes[(result["status"], len(result["files"]), sum(f["size"] for f in result["files"]),
                          result["filesTruncated"])] += 1
            except Exception as e:  # a failed request is a figure too
                outcomes[("error", type(e).__name__)] += 1

    sampler = threading.Thread(target=sample)
    sampler.start()
    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    stop.set()
    sampler.join()
    figures = {"clients": CLIENTS, "runs": CLIENTS * RUNS,
               "outcomes": {" ".join(map(str, key)): count for key, count in outcomes.items()},
               "peakUsedHeapMiB": round(peak[0] / 2 ** 20)}
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()
