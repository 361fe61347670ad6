#!/usr/bin/env python3
"""Verifies a hookd delivery with Python's standard library alone.

    verify_signature.py [--now UNIX_SECONDS] SECRET WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE < body

Exits 0 when the signature is valid and the timestamp within five minutes of now (or of --now).
"""
import argparse
import base64
import hashlib
import hmac
import sys
import time


def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300, now=None) -> bool:
    """True when one of the v1 signatures in webhook-signature matches, as Standard Webhooks says."""
    try:
        timestamp = int(headers["webhook-timestamp"])
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False  # too old (a replay) or from the future
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f'{headers["webhook-id"]}.{timestamp}.'.encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Verify a hookd delivery; the body on stdin.")
    parser.add_argument("--now", type=int, help="judge the timestamp at this unix time")
    for name in ("secret", "webhook_id", "webhook_timestamp", "webhook_signature"):
        parser.add_argument(name)
    args = parser.parse_args()
    headers = {"webhook-id": args.webhook_id, "webhook-timestamp": args.webhook_timestamp,
               "webhook-signature": args.webhook_signature}
    ok = verify(args.secret, headers, sys.stdin.buffer.read(), now=args.now)
    print("valid" if ok else "invalid")
    sys.exit(0 if ok else 1)
