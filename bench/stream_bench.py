#!/usr/bin/env python3
"""Time to the first streamed byte of a run against the blocking run of the same program, in the same run.

Two programs: one that prints at once and then works for half a second (what streaming is for: the first line
comes long before the end), and hello world (what streaming costs when there is nothing to wait for). Each round
sends the blocking POST and the streamed POST of one program back to back, on fresh connections, alternating
which goes first, so that both see the same machine; only the ratios are comparable across runs.
Usage: stream_bench.py BASE_URL [--rounds N] [--json OUT]
"""
import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse

PROGRAMS = {
    "print_then_work_500ms": "import time\nprint('started', flush=True)\ntime.sleep(0.5)\nprint('done')",
    "hello_world": "print('Hello, World!')",
}


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(samples):
    return {"n": len(samples), "p50": statistics.median(samples), "p90": percentile(samples, 90),
            "p99": percentile(samples, 99), "min": min(samples), "max": max(samples)}


def blocking(url, code):
    """ms until the whole answer has arrived, and its stdout."""
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    start = time.perf_counter()
    connection.request("POST", "/v1/runs", body=json.dumps({"code": code}),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = json.loads(response.read())
    elapsed = (time.perf_counter() - start) * 1000
    connection.close()
    if payload.get("status") != "ok":
        sys.exit(f"bench: a blocking run failed: {response.status} {payload}")
    return elapsed, payload["stdout"]


def streamed(url, code):
    """ms until the first stdout event has arrived, ms until the result event, and the stdout streamed."""
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    start = time.perf_counter()
    connection.request("POST", "/v1/runs", body=json.dumps({"code": code}),
                       headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
    response = connection.getresponse()
    if response.status != 200:
        sys.exit(f"bench: a streamed run was refused: {response.status} {response.read()[:300]}")
    first, name, texts, result = None, None, [], None
    while result is None:
        line = response.fp.readline()
        if not line:
            sys.exit("bench: the stream ended without a result event")
        line = line.decode().rstrip("\n")
        if line.startswith("event:"):
            name = line[6:]
        elif line.startswith("data:"):
            data = json.loads(line[5:])
            if name == "stdout":
                if first is None:
                    first = (time.perf_counter() - start) * 1000
                texts.append(data["text"])
            elif name == "result":
                result = data
    total = (time.perf_counter() - start) * 1000
    connection.close()
    if result.get("status") != "ok" or "".join(texts) != result["stdout"]:
        sys.exit(f"bench: a streamed run failed or its chunks differ from its result: {result}")
    return first, total, "".join(texts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--json")
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.base_url)
    for code in PROGRAMS.values():  # warm-up: the JIT, the pool, the connection paths
        for _ in range(10):
            blocking(url, code)
            streamed(url, code)
    report = {"rounds": args.rounds}
    for label, code in PROGRAMS.items():
        block, first, whole = [], [], []
        for round_ in range(args.rounds):
            order = [0, 1] if round_ % 2 == 0 else [1, 0]
            for which in order:
                if which == 0:
                    elapsed, stdout = blocking(url, code)
                    block.append(elapsed)
                else:
                    first_ms, total_ms, stdout = streamed(url, code)
                    first.append(first_ms)
                    whole.append(total_ms)
        report[label] = {
            "blocking_answer_ms": summary(block),
            "streamed_first_stdout_ms": summary(first),
            "streamed_result_ms": summary(whole),
            "first_stdout_vs_blocking_p50": statistics.median(first) / statistics.median(block),
            "streamed_result_vs_blocking_p50": statistics.median(whole) / statistics.median(block),
        }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    main()
