"""``python -m athena_jwt_dbapi.local``: run the offline stack in the foreground until Ctrl-C.

Prints the endpoints, a fresh token, a ready ``connect()`` snippet and the JDBC URL.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pprint import pformat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m athena_jwt_dbapi.local", description=__doc__)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--token-lifetime", type=int, default=3600, help="seconds the printed token is valid")
    parser.add_argument("--seed", action="append", default=[], metavar="SQL", help="SQL to run at start (repeatable)")
    args = parser.parse_args(argv)

    from .stack import LocalAthena

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with LocalAthena(region=args.region) as stack:
        for sql in args.seed:
            stack.seed(sql)
        token = stack.mint_token(expires_in=args.token_lifetime)
        parameters = stack.connect_parameters(token)
        print("Local Athena is running (Ctrl-C stops it).")
        print(f"  OIDC issuer : {stack.issuer_url}")
        print(f"  STS         : {stack.sts_endpoint}")
        print(f"  Athena      : {stack.athena_endpoint}")
        print(f"  S3          : {stack.s3_endpoint}")
        print(f"  Role ARN    : {stack.role_arn}")
        print(f"  Output      : {stack.output_location}")
        print(f"\nA token valid for {args.token_lifetime} s (a test token of this local issuer):\n{token}\n")
        print("Connect from Python:\n")
        print("import athena_jwt_dbapi")
        print(f"conn = athena_jwt_dbapi.connect(**{pformat(parameters, width=100, sort_dicts=False)})\n")
        print(f"JDBC URL:\n{stack.jdbc_url(token)}\n")
        sys.stdout.flush()
        try:
            while not stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
