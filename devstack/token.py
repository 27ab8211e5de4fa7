"""`make token`: prints a bearer token the local stack accepts."""

from __future__ import annotations

import argparse
import os

from devstack.keys import mint_token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenant", default=os.environ.get("TENANT") or "demo")
    parser.add_argument(
        "--role", default=os.environ.get("ROLE") or "admin", choices=("admin", "staff")
    )
    parser.add_argument("--user", default=os.environ.get("USER_ID") or None, help="the sub claim")
    parser.add_argument("--ttl", type=int, default=12 * 3600, help="seconds")
    args = parser.parse_args()
    user = args.user or f"{args.tenant}-{args.role}"
    print(mint_token(tenant=args.tenant, role=args.role, user=user, ttl=args.ttl))


if __name__ == "__main__":
    main()
