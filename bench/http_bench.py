#!/usr/bin/env python3
"""Latency of a hello-world run through Sandpod's HTTP API against the bare floor of starting Python.

Both are measured in the same run, one after the other, because these machines are noisy: only the ratio
is comparable across runs. Usage: http_bench.py BASE_URL [--runs N] [--json OUT]
"""
import argparse
import http.client
import json
import statistics
import subprocess
import sys
import time
import urllib.parse


def percentile(samples, p):
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(samples):
    return {
        "n": len(samples),
        "p50": statistics.median(samples),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "min": min(samples),
        "max": max(samples),
    }


def bench_floor(runs, python):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([python, "-I", "-c", "print(1)"], check=True, stdout=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def bench_http(base_url, runs, path):
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    body = json.dumps({"code": "print('Hello, World!')"})
    samples, statuses = [], {}
    for _ in range(runs):
        start = time.perf_counter()
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = json.loads(response.read())
        samples.append((time.perf_counter() - start) * 1000)
        status = payload.get("status", str(response.status))
        statuses[status] = statuses.get(status, 0) + 1
        if status != "ok" or payload.get("stdout") != "Hello, World!\n":
            sys.exit(f"bench: a run did not answer hello world: {response.status} {payload}")
    connection.close()
    return samples, statuses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--json")
    args = parser.parse_args()

    bench_http(args.base_url, args.warmup, "/v1/runs")
    floor = summary(bench_floor(args.runs, args.python))
    http_samples, statuses = bench_http(args.base_url, args.runs, "/v1/runs")
    http = summary(http_samples)
    result = {"floor_ms": floor, "http_ms": http, "statuses": statuses,
              "ratio_p50": http["p50"] / floor["p50"]}

    print(f"floor  python3 -I -c 'print(1)' x{floor['n']}: p50 {floor['p50']:.1f} ms")
    print(f"http   POST /v1/runs hello world x{http['n']}: p50 {http['p50']:.1f} ms  p95 {http['p95']:.1f} ms"
          f"  p99 {http['p99']:.1f} ms")
    print(f"ratio  http p50 / floor p50 = {result['ratio_p50']:.2f}x")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
