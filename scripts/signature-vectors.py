#!/usr/bin/env python3
"""Writes openapi/signature-vectors.json: Standard Webhooks 1.0 signatures as hookd sends them.

    scripts/signature-vectors.py > openapi/signature-vectors.json

Each HMAC comes from the `openssl dgst` command, not from hookd's signer nor from the Python
example, so that the vectors check those implementations instead of repeating them.
"""
import base64
import json
import subprocess
import sys

NOW = 1764684000  # 2025-12-02T14:00:00Z: the `now` every vector is judged at
TOLERANCE = 300

# secretHmac as hookd hands them out: 32 characters of [A-Za-z0-9], base64 of a 24-byte key.
SEED = "bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"  # the seed's example answer
ROTATED_NEW = "K9fQ2mZt7LwR4xNc8VbH3jPs6YdG1eUa"
OTHER = "Zq3Wn8Rt5Yp2Ls7Kd4Fh9Gj6Mb1Vc0Xe"
# The key of the Standard Webhooks specification's example, in its whsec_ form.
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

ID = "evt_0Q2bXc1a7Hn4Kp9LmT3sVw8R"
BODY = ('{"id":"evt_0Q2bXc1a7Hn4Kp9LmT3sVw8R","webhookId":2,"topic":"DeviceTamperEvents",'
        '"type":"DeviceTamperVibration","time":"2025-12-02T13:59:58Z","organizationId":6,'
        '"deviceId":85,"data":{"level":3}}')
UNICODE_BODY = ('{"id":"evt_0Q2bXc1a7Hn4Kp9LmT3sVw8S","webhookId":2,"topic":"DeviceStatusEvents",'
                '"time":"2025-12-02T13:59:59Z","organizationId":6,"deviceId":86,'
                '"data":{"name":"Haustür – Café Zürich","note":"玄関の鍵 🔒","ar":"قفل الباب"}}')


def hmac_sha256(secret: str, message: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    digest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-binary", "-mac", "HMAC", "-macopt", "hexkey:" + key.hex()],
        input=message, capture_output=True, check=True).stdout
    return "v1," + base64.b64encode(digest).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    return hmac_sha256(secret, f"{msg_id}.{timestamp}.{body}".encode("utf-8"))


def vector(name, secret, body=BODY, msg_id=ID, timestamp=NOW, signature=None, valid=True,
           reason=None, signing_secrets=None, signature_only_valid=None):
    if signature is None:
        signing_secrets = signing_secrets or [secret]
        signature = " ".join(sign(s, msg_id, timestamp, body) for s in signing_secrets)
    v = {"name": name, "secret": secret, "id": msg_id, "timestamp": str(timestamp), "body": body,
         "signature": signature, "valid": valid}
    if signing_secrets:
        v["signingSecrets"] = signing_secrets
    if reason:
        v["reason"] = reason
    if signature_only_valid is not None:
        v["signatureOnlyValid"] = signature_only_valid
    return v


def main():
    good = sign(SEED, ID, NOW, BODY)
    vectors = [
        vector("secretHmac as hookd hands it out (bare base64)", SEED),
        vector("the same secret with the whsec_ prefix", "whsec_" + SEED, signing_secrets=[SEED]),
        vector("a whsec_ secret", WHSEC),
        vector("body with non-ASCII text, signed as its UTF-8 bytes", SEED, body=UNICODE_BODY),
        vector("body ending in a newline, signed with it", SEED, body=BODY + "\n"),
        vector("timestamp within tolerance (4 minutes old)", SEED, timestamp=NOW - 240),
        vector("rotated secret: two signatures, checked with the new secret", ROTATED_NEW,
               signing_secrets=[ROTATED_NEW, SEED]),
        vector("rotated secret: two signatures, checked with the old secret", SEED,
               signing_secrets=[ROTATED_NEW, SEED]),
        vector("a signature of an unknown version beside a v1 one", SEED,
               signature="v2,bm90LWEtdjEtc2lnbmF0dXJl " + good),
        vector("wrong secret", OTHER, signature=good, valid=False, reason="no signature matches"),
        vector("rotated header checked with a secret that signed neither", OTHER,
               signing_secrets=[ROTATED_NEW, SEED], valid=False, reason="no signature matches"),
        vector("tampered body", SEED, body=BODY.replace('"level":3', '"level":4'), signature=good,
               valid=False, reason="no signature matches"),
        vector("non-ASCII body altered by one character", SEED,
               body=UNICODE_BODY.replace("Zürich", "Zurich"),
               signature=sign(SEED, ID, NOW, UNICODE_BODY), valid=False,
               reason="no signature matches"),
        vector("wrong timestamp (signed one second earlier)", SEED,
               signature=sign(SEED, ID, NOW - 1, BODY), valid=False, reason="no signature matches"),
        vector("wrong id", SEED, msg_id=ID[:-1] + "S", signature=good, valid=False,
               reason="no signature matches"),
        vector("malformed header: no version prefix", SEED, signature=good.removeprefix("v1,"),
               valid=False, reason="no signature matches"),
        vector("malformed header: v1 without the comma", SEED, signature=good.replace(",", " ", 1),
               valid=False, reason="no signature matches"),
        vector("malformed header: the signature cut short", SEED, signature=good[:-4],
               valid=False, reason="no signature matches"),
        vector("malformed header: empty", SEED, signature="", valid=False,
               reason="no signature matches"),
        vector("timestamp not a number", SEED, timestamp="yesterday", signature=good, valid=False,
               reason="the timestamp is not a number"),
        vector("timestamp outside tolerance: 10 minutes old", SEED, timestamp=NOW - 600,
               valid=False, reason="timestamp outside tolerance", signature_only_valid=True),
        vector("timestamp outside tolerance: 10 minutes in the future", SEED, timestamp=NOW + 600,
               valid=False, reason="timestamp outside tolerance", signature_only_valid=True),
    ]
    document = {
        "description": (
            "Standard Webhooks 1.0 signatures as hookd sends them: webhook-signature is "
            "'v1,' + base64(HMAC-SHA256(key, id + '.' + timestamp + '.' + body)), the key being "
            "base64decode(secret without a 'whsec_' prefix), the body its UTF-8 bytes; one "
            "space-separated signature per secret still signing, newest first. A verifier "
            "accepts when any v1 signature matches and the timestamp is within toleranceSeconds "
            "of now. Every vector is judged at `now` (unix seconds), with that tolerance: a "
            "verifier that checks the timestamp (hookd verify --now, examples/"
            "verify_signature.py --now, security::verify, standardwebhooks and svix with their "
            "clock set to now) gives `valid`; a check of the signature alone (hookd verify "
            "--tolerance 0) gives `signatureOnlyValid` where it is present, else `valid`. "
            "signingSecrets, where present, are the secrets (newest first) whose signatures make "
            "up `signature`, as hookd's signer writes the header for them. "
            "Made by scripts/signature-vectors.py with the openssl command line."),
        "now": NOW,
        "toleranceSeconds": TOLERANCE,
        "vectors": vectors,
    }
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
