"""The local stack in a process of its own, driven by JSON lines on stdin/stdout (for the benchmarks).

Running the stack beside the client would mix their memory and their CPU time (the engine renders every
value as text, moto runs under the same GIL), so a benchmark starts this module as a child process:

    {"op": "mint"}                      -> {"token": "..."}
    {"op": "seed", "sql": "..."}        -> {"rows": n}
    {"op": "knobs", "api_latency": s, "query_delay": s, "credential_lifetime": s}  (each optional)
    {"op": "counts"}                    -> {"GetQueryResults": n, "GetQueryExecution": n, "s3": n, "sts": n}
    {"op": "completed", "id": "..."}    -> {"epoch": seconds since the epoch the query finished}
    {"op": "stop"}

The first line it prints is {"ready": {...}}: the stack's connect parameters (with a token), its S3
endpoint and its output location.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from athena_jwt_dbapi.local import LocalAthena

_UNSET = object()


def handle(stack: LocalAthena, command: dict[str, Any]) -> dict[str, Any]:
    op = command["op"]
    if op == "mint":
        return {"token": stack.mint_token(expires_in=int(command.get("expires_in", 3600)))}
    if op == "seed":
        outcome = stack.seed(command["sql"])
        return {"rows": len(outcome.rows)}
    if op == "knobs":
        if "api_latency" in command:
            stack.set_api_latency(float(command["api_latency"]))
        if "query_delay" in command:
            stack.set_query_delay(float(command["query_delay"]))
        if "credential_lifetime" in command:
            stack.set_credential_lifetime(command["credential_lifetime"])
        return {}
    if op == "counts":
        calls = stack.athena.calls
        return {
            "GetQueryResults": calls.count("GetQueryResults"),
            "GetQueryExecution": calls.count("GetQueryExecution"),
            "StartQueryExecution": calls.count("StartQueryExecution"),
            "s3": len(stack.s3_requests),
            "sts": stack.sts.call_count,
        }
    if op == "completed":
        completed = stack.athena.execution(command["id"]).completed
        return {"epoch": completed.timestamp() if completed else None}
    raise ValueError(f"unknown op {op!r}")


def main() -> int:
    with LocalAthena() as stack:
        ready = {
            "parameters": stack.connect_parameters(),
            "s3_endpoint": stack.s3_endpoint,
            "output_location": stack.output_location,
            "region": stack.region,
        }
        print(json.dumps({"ready": ready}), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            if command["op"] == "stop":
                break
            try:
                reply = handle(stack, command)
            except Exception as error:  # reported to the benchmark, which stops
                reply = {"error": f"{type(error).__name__}: {error}"}
            print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
