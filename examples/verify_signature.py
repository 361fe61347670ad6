#!/usr/bin/env python3
"""Verifies a hookd delivery with Python's standard library alone.

    verify_signature.py SECRET WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE < body

Exits 0 when the signature is valid and the timestamp within five minutes of now.
"""
import base64
import hashlib
import hmac
import sys
import time


def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
    """True when one of the v1 signatures in webhook-signature matches, as Standard Webhooks says."""
    timestamp = int(headers["webhook-timestamp"])
    if abs(time.time() - timestamp) > tolerance:
        return False  # too old (a replay) or from the future
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f'{headers["webhook-id"]}.{timestamp}.'.encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


if __name__ == "__main__":
    secret, webhook_id, timestamp, signature = sys.argv[1:5]
    headers = {"webhook-id": webhook_id, "webhook-timestamp": timestamp,
               "webhook-signature": signature}
    ok = verify(secret, headers, sys.stdin.buffer.read())
    print("valid" if ok else "invalid")
    sys.exit(0 if ok else 1)
