#!/usr/bin/env python3
"""Latency of an asynchronous run, from its submission to its signed callback, against the blocking run.

Blocking `POST /v1/runs` of print("hi") and asynchronous ones with a callbackUrl to a receiver in this process
alternate, one at a time, so that both see the same machine. An asynchronous run counts only once its callback
arrived with a valid Sandpod-Signature for the secret the service was given, a fresh Sandpod-Timestamp and the
run's result; the receiver checks itself first by refusing an unsigned and a wrongly signed callback.

The service must allow callbacks to loopback (SANDPOD_CALLBACK_ALLOW=127.0.0.1/32) and sign with the secret in the
environment variable SANDPOD_CALLBACK_SECRET, which this script reads too.
Usage: async_bench.py BASE_URL [--runs N] [--warmup N] [--json OUT]
"""
import argparse
import hashlib
import hmac
import http.client
import http.server
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

from http_bench import percentile

CODE = "print('hi')"
# how old a Sandpod-Timestamp may be before a receiver takes the callback for a replay
FRESH_SECONDS = 300


def summary(samples):
    return {
        "n": len(samples),
        "p50": statistics.median(samples),
        "p90": percentile(samples, 90),
        "p99": percentile(samples, 99),
        "min": min(samples),
        "max": max(samples),
    }


def signed(secret, headers, body):
    """Whether a callback carries the signature the README documents: sha256=hex(HMAC-SHA256("<ts>.<body>"))."""
    timestamp = headers.get("Sandpod-Timestamp")
    signature = headers.get("Sandpod-Signature")
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > FRESH_SECONDS:
        return False
    expected = "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("latin-1"))


class Receiver:
    """Takes callbacks on a loopback port and records when each run's signed callback arrived."""

    def __init__(self, secret):
        self.secret = secret
        self.lock = threading.Condition()
        self.arrived = {}  # run id -> (perf_counter at arrival, parsed body)
        self.refused = {"unsigned or wrongly signed": 0, "not a run's result": 0}
        self.duplicates = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.take(self.headers, body, time.perf_counter())
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, headers, body, at):
        if not signed(self.secret, headers, body):
            with self.lock:
                self.refused["unsigned or wrongly signed"] += 1
            return 401  # a 4xx other than 429 ends the delivery: the service does not retry it
        try:
            run = json.loads(body)
            run_id = run["id"]
        except (ValueError, KeyError, TypeError):
            with self.lock:
                self.refused["not a run's result"] += 1
            return 400
        with self.lock:
            if run_id in self.arrived:
                self.duplicates += 1
            else:
                self.arrived[run_id] = (at, run)
            self.lock.notify_all()
        return 204

    def await_run(self, run_id, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while run_id not in self.arrived:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(left)
            return self.arrived[run_id]

    def check_itself(self):
        """Posts an unsigned and a wrongly signed callback to itself: neither may count as delivered."""
        body = json.dumps({"id": "run-0000000000000000", "status": "ok"}).encode()
        now = str(int(time.time()))
        wrong = "sha256=" + hmac.new(b"not the secret", now.encode() + b"." + body, hashlib.sha256).hexdigest()
        url = urllib.parse.urlsplit(self.url)
        for headers in ({}, {"Sandpod-Timestamp": now, "Sandpod-Signature": wrong}):
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
            connection.request("POST", url.path, body=body, headers={"Content-Type": "application/json", **headers})
            status = connection.getresponse().status
            connection.close()
            if status != 401:
                sys.exit(f"async bench: the receiver answered {status} to a callback signed {headers or 'not at all'}")
        if self.arrived or self.refused["unsigned or wrongly signed"] != 2:
            sys.exit("async bench: the receiver counted an unsigned or wrongly signed callback")
        self.refused["unsigned or wrongly signed"] = 0


class Client:
    """One keep-alive connection to the service."""

    def __init__(self, base_url):
        url = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def post_run(self, fields):
        self.connection.request("POST", "/v1/runs", body=json.dumps({"code": CODE, **fields}),
                                headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())


def blocking(client):
    start = time.perf_counter()
    status, run = client.post_run({})
    elapsed = (time.perf_counter() - start) * 1000
    if status != 200 or run.get("status") != "ok" or run.get("stdout") != "hi\n":
        sys.exit(f"async bench: a blocking run did not answer hi: {status} {run}")
    return elapsed


def asynchronous(client, receiver, timeout):
    """The 202's own latency and the time from submission to the signed callback, in ms."""
    start = time.perf_counter()
    status, accepted = client.post_run({"async": True, "callbackUrl": receiver.url})
    answered = time.perf_counter()
    if status != 202 or "id" not in accepted:
        sys.exit(f"async bench: an asynchronous submission was not accepted: {status} {accepted}")
    arrival = receiver.await_run(accepted["id"], timeout)
    if arrival is None:
        sys.exit(f"async bench: no signed callback for {accepted['id']} within {timeout} s;"
                 f" refused so far: {receiver.refused}")
    at, run = arrival
    if run.get("status") != "ok" or run.get("stdout") != "hi\n":
        sys.exit(f"async bench: the callback of {accepted['id']} is not the run's result: {run}")
    return (answered - start) * 1000, (at - start) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for one callback")
    parser.add_argument("--json")
    args = parser.parse_args()
    secret = os.environ.get("SANDPOD_CALLBACK_SECRET", "")
    if not secret:
        sys.exit("async bench: set SANDPOD_CALLBACK_SECRET to the secret the service signs with")

    receiver = Receiver(secret.encode())
    receiver.check_itself()
    client = Client(args.base_url)
    for _ in range(args.warmup):
        blocking(client)
        asynchronous(client, receiver, args.timeout)
    blocking_ms, accepted_ms, callback_ms = [], [], []
    for _ in range(args.runs):
        blocking_ms.append(blocking(client))
        accepted, called_back = asynchronous(client, receiver, args.timeout)
        accepted_ms.append(accepted)
        callback_ms.append(called_back)
    # late duplicates would arrive after their run was counted
    time.sleep(1)

    result = {
        "blocking_ms": summary(blocking_ms),
        "async_accepted_ms": summary(accepted_ms),
        "async_callback_ms": summary(callback_ms),
        "delivered_signed": len(receiver.arrived),
        "refused": receiver.refused,
        "duplicates": receiver.duplicates,
    }
    for p in ("p50", "p90", "p99"):
        result[f"ratio_{p}"] = result["async_callback_ms"][p] / result["blocking_ms"][p]
    for name, label in (("blocking_ms", "blocking POST /v1/runs"), ("async_callback_ms", "async submit -> callback"),
                        ("async_accepted_ms", "async 202")):
        s = result[name]
        print(f"{label:26} x{s['n']}: p50 {s['p50']:.1f} ms  p90 {s['p90']:.1f} ms  p99 {s['p99']:.1f} ms")
    print(f"ratio async/blocking: p50 {result['ratio_p50']:.2f}x  p90 {result['ratio_p90']:.2f}x"
          f"  p99 {result['ratio_p99']:.2f}x")
    print(f"signed callbacks {result['delivered_signed']} (warm-up included), refused {receiver.refused},"
          f" duplicates {receiver.duplicates}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
