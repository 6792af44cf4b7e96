"""Reference receiver: stands in for the provincial platform in tests and trials (loopback only).

It enforces the batch schema of docs/export-protocol.md (version 1, and version 2's Chinese fields,
integer ids and +08:00 times), counts every idempotency key (a key seen
again is acknowledged as `duplicate` and counted separately), and can be told to fail a share of
requests (HTTP 503), to drop connections after storing the batch (the acknowledgement is lost), or to
answer slowly.

    python tools/reference_receiver.py --port 8765 --fail-rate 0.3 --drop-rate 0.1
"""

from __future__ import annotations

import argparse
import random
import socket
import threading
import time
from collections import Counter
from typing import Any

from flask import Flask, jsonify, request

REQUIRED = {"idempotency_key": str, "kind": str, "object_id": str, "occurred_at": str, "payload": dict}
#: Version 2 (the platform's Chinese fields): integer record ids, +08:00 times.
REQUIRED_V2 = {"幂等键": str, "记录类型": str, "记录编号": int, "发生时间": str, "数据": dict}


def _is(value: Any, kind: type) -> bool:
    # JSON has no separate integer type in Python's eyes for bool: True is not a record id.
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def create_receiver(
    fail_rate: float = 0.0,
    drop_rate: float = 0.0,
    delay: float = 0.0,
    seed: int = 0,
    reject_kinds: frozenset[str] = frozenset(),
) -> Flask:
    app = Flask("reference_receiver")
    rng = random.Random(seed)
    lock = threading.Lock()
    seen: Counter[str] = Counter()
    state: dict[str, Any] = {"requests": 0, "failed": 0, "dropped": 0, "accepted": 0, "duplicates": 0}
    app.config.update(SEEN=seen, STATE=state)

    def problem(message: str) -> Any:
        return jsonify({"error": message}), 400

    @app.post("/records")
    def records() -> Any:
        with lock:
            state["requests"] += 1
            roll = rng.random()
        if delay:
            time.sleep(delay)
        if roll < fail_rate:
            with lock:
                state["failed"] += 1
            return jsonify({"error": "platform busy"}), 503
        got = request.get_json(silent=True)
        body: dict[str, Any] = got if isinstance(got, dict) else {}
        version = body.get("protocol", body.get("协议版本"))
        items = body.get("records" if version == "1" else "记录")
        if version not in ("1", "2") or not isinstance(items, list):
            return problem(
                "body must be {protocol: '1', batch_id, target, records: [...]} or {协议版本: '2', 记录: [...]}"
            )
        required = REQUIRED if version == "1" else REQUIRED_V2
        names = ("idempotency_key", "kind") if version == "1" else ("幂等键", "记录类型")
        results = []
        with lock:
            for item in items:
                if not isinstance(item, dict) or any(not _is(item.get(k), t) for k, t in required.items()):
                    results.append(
                        {
                            "idempotency_key": item.get(names[0]) if isinstance(item, dict) else None,
                            "status": "rejected",
                            "reason": "record does not follow the schema",
                        }
                    )
                    continue
                if version == "2" and not item["发生时间"].endswith("+08:00"):
                    key = item["幂等键"]
                    results.append({"idempotency_key": key, "status": "rejected", "reason": "发生时间 must be +08:00"})
                    continue
                key = item[names[0]]
                if item[names[1]] in reject_kinds:
                    results.append({"idempotency_key": key, "status": "rejected", "reason": "kind not accepted"})
                    continue
                seen[key] += 1
                if seen[key] == 1:
                    state["accepted"] += 1
                    results.append({"idempotency_key": key, "status": "accepted"})
                else:
                    state["duplicates"] += 1
                    results.append({"idempotency_key": key, "status": "duplicate"})
        if roll < fail_rate + drop_rate:
            # Stored, but the acknowledgement never arrives: the sender must resend, we must count once.
            with lock:
                state["dropped"] += 1
            sock = request.environ.get("werkzeug.socket")
            if isinstance(sock, socket.socket):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            return "", 500
        return jsonify({"batch_id": body.get("batch_id", body.get("批次号")), "results": results})

    @app.get("/stats")
    def stats() -> Any:
        with lock:
            return jsonify({**state, "unique_keys": len(seen), "max_count": max(seen.values(), default=0)})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--drop-rate", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        raise SystemExit("the reference receiver serves loopback only")
    create_receiver(args.fail_rate, args.drop_rate, args.delay).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
