#!/usr/bin/env python3
"""A healthy client's GET /healthz latency with hostile connections open, beside none.

Phases, in one run against one server: `none` (only the healthy client), then `hostile`
(IDLE keep-alive connections that each made one request and went quiet, and SLOW connections
that send a head one byte at a time and never finish it). Prints one JSON line per phase.
"""
import json
import os
import selectors
import socket
import sys
import time

PORT = int(sys.argv[1])
IDLE = int(os.environ.get("IDLE", "10000"))
SLOW = int(os.environ.get("SLOW", "1000"))
REQUESTS = int(os.environ.get("REQUESTS", "2000"))
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"


def connect():
    s = socket.create_connection(("127.0.0.1", PORT))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        body += s.recv(65536)
    return int(head[9:12])


def measure(label, extra):
    client = connect()
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.sendall(REQUEST)
        status = read_response(client)
        times.append(time.perf_counter() - start)
        if status != 200:
            raise RuntimeError(f"status {status}")
    client.close()
    times.sort()
    result = {
        "phase": label,
        "requests": REQUESTS,
        "p50_ms": round(times[len(times) // 2] * 1000, 3),
        "p99_ms": round(times[int(len(times) * 0.99)] * 1000, 3),
        "max_ms": round(times[-1] * 1000, 3),
    }
    result.update(extra)
    print(json.dumps(result), flush=True)


def open_idle(n):
    """n connections that each made one request and stay idle (keep-alive)."""
    conns = []
    for _ in range(n):
        conns.append(connect())
    for s in conns:
        s.sendall(REQUEST)
    for s in conns:
        if read_response(s) != 200:
            raise RuntimeError("idle connection refused")
    return conns


def open_slow(n):
    conns = [connect() for _ in range(n)]
    for s in conns:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: b")
    return conns


def still_open(conns):
    sel = selectors.DefaultSelector()
    for s in conns:
        sel.register(s, selectors.EVENT_READ)
    closed = len(sel.select(timeout=0))
    sel.close()
    return len(conns) - closed


measure("none", {"idle": 0, "slow": 0})
idle = open_idle(IDLE)
slow = open_slow(SLOW)
began = time.monotonic()
measure("hostile", {"idle": IDLE, "slow": SLOW})
took = time.monotonic() - began
print(json.dumps({"phase": "after", "idle_open": still_open(idle), "slow_open": still_open(slow),
                  "hostile_phase_s": round(took, 2)}), flush=True)
measure("none_again", {"idle": 0, "slow": 0})
