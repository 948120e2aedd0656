#!/usr/bin/env python3
"""Splits the CPU of KubeBenchmark's throughput window between the executor, the emulated kubelet and the mock API
server, from a JFR recording of the benchmark's JVM (its jdk.ExecutionSample events).

The three share one JVM, so process CPU per run is an upper bound for the executor. Each CPU sample is put on:
- the mock, when it ran on the mock server's vert.x event loop;
- the emulator or the executor (or the benchmark's driver), when its stack holds one of their frames;
- else the emulator's or the executor's HTTP client, when its thread belongs to a pool where that side's frames were
  sampled (each fabric8 client has its own pools);
- else "shared": JDK HTTP client and common-pool threads that serve both clients and cannot be told apart.
The executor's own CPU per run is then given as a range: its samples, then those plus every shared one.

Usage: kube_cpu_split.py RECORDING.jfr KUBE_MOCK.json   (JAVA_HOME names the JDK whose `jfr` tool reads it)
"""
import collections
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone

EMULATOR = ("dev.sandpod.kube.KubeletEmulator", "dev.sandpod.kube.MockCluster", "dev.sandpod.kube.PodVolumes")
EXECUTOR = ("dev.sandpod.kube.KubernetesExecutor", "dev.sandpod.kube.RunWatcher", "dev.sandpod.kube.PodSpecs",
            "dev.sandpod.kube.SandboxPods", "dev.sandpod.kube.Reaper",
            "dev.sandpod.kube.PodState", "dev.sandpod.run.")
DRIVER = ("dev.sandpod.kube.KubeBenchmark",)
FRAME = re.compile(r"^\s+([\w.$<>]+)\(", re.M)
THREAD = re.compile(r'sampledThread = "([^"]*)"')
START = re.compile(r"startTime = (\d\d:\d\d:\d\d\.\d+) \((\d{4}-\d\d-\d\d)\)")


def samples(recording):
    jfr = os.path.join(os.environ.get("JAVA_HOME", "/usr"), "bin", "jfr")
    text = subprocess.run([jfr, "print", "--stack-depth", "1024", "--events", "jdk.ExecutionSample", recording],
                          check=True, capture_output=True, text=True, env={**os.environ, "TZ": "UTC"}).stdout
    for event in text.split("jdk.ExecutionSample")[1:]:
        thread = THREAD.search(event)
        start = START.search(event)
        if not start:
            continue
        # jfr prints local time, which TZ=UTC above makes UTC, as the benchmark's window is
        when = datetime.fromisoformat(f"{start.group(2)}T{start.group(1)[:15]}").replace(tzinfo=timezone.utc)
        yield when, thread.group(1) if thread else "", " ".join(FRAME.findall(event))


def side(stack):
    for name, prefixes in (("emulator", EMULATOR), ("executor", EXECUTOR), ("benchmark driver", DRIVER)):
        if any(prefix in stack for prefix in prefixes):
            return name
    return None


def pool(thread):
    match = re.match(r"(.*pool-\d+)-thread-\d+$", thread) or re.match(r"(HttpClient-\d+)-SelectorManager$", thread)
    return match.group(1) if match else None


def main(recording, figures_file):
    figures = json.load(open(figures_file))
    start = datetime.fromisoformat(figures["measuredFrom"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(figures["measuredTo"].replace("Z", "+00:00"))
    window = [(thread, stack, side(stack)) for when, thread, stack in samples(recording) if start <= when <= end]
    pool_sides = collections.defaultdict(collections.Counter)
    for thread, stack, owner in window:
        if owner and pool(thread):
            pool_sides[pool(thread)][owner] += 1
    split = collections.Counter()
    for thread, stack, owner in window:
        if thread.startswith("vert.x-"):
            split["mock API server"] += 1
        elif owner:
            split[owner] += 1
        elif pool(thread) in pool_sides:
            split[pool_sides[pool(thread)].most_common(1)[0][0] + " (its client's threads)"] += 1
        else:
            split["shared client threads"] += 1
    total = sum(split.values())
    cpu = figures["processCpuMsPerRun"]
    print(f"{total} CPU samples in the throughput window; process CPU {cpu} ms/run")
    for name, count in split.most_common():
        print(f"  {name:34s} {100 * count / total:5.1f}%  {cpu * count / total:6.2f} ms/run")
    own = split["executor"] + split["executor (its client's threads)"]
    low, high = cpu * own / total, cpu * (own + split["shared client threads"]) / total
    print(f"executor alone: {low:.2f} to {high:.2f} ms CPU/run, so {2000 / high:.0f} to {2000 / low:.0f} runs/s on 2 cores")


if __name__ == "__main__":
    main(*sys.argv[1:3])
