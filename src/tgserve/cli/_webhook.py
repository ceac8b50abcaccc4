"""``tgserve webhook set|info|delete``: manage the bot's webhook on the Bot API server."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from tgserve._redact import redact


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "webhook", help="set, show or delete the webhook (TELEGRAM_BOT_TOKEN, TGSERVE_API_URL)"
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    set_ = actions.add_parser("set", help="register URL, with TGSERVE_SECRET_TOKEN as secret")
    set_.add_argument("url")
    set_.add_argument("--drop-pending", action="store_true")
    set_.add_argument("--allowed-updates", help="comma-separated update types")
    set_.add_argument("--max-connections", type=int)
    info = actions.add_parser("info", help="show the webhook: URL, pending updates, last error")
    info.add_argument("--json", action="store_true", help="print getWebhookInfo as JSON")
    delete = actions.add_parser("delete", help="delete the webhook")
    delete.add_argument("--drop-pending", action="store_true")
    p.set_defaults(func=run)


def call(token: str, method: str, params: dict[str, Any]) -> tuple[bool, Any]:
    """Call `method`; (True, result) or (False, a redacted description)."""
    import httpx

    api_url = os.environ.get("TGSERVE_API_URL", "https://api.telegram.org").rstrip("/")
    try:
        response = httpx.post(f"{api_url}/bot{token}/{method}", json=params, timeout=30)
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return False, redact(f"{type(exc).__name__}: {exc}").replace(token, "***")
    if not isinstance(answer, dict) or not answer.get("ok"):
        detail = answer.get("description") if isinstance(answer, dict) else None
        return False, redact(str(detail or f"HTTP {response.status_code}"))
    return True, answer.get("result")


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    if not token:
        print("tgserve webhook: set TELEGRAM_BOT_TOKEN", file=sys.stderr)
        return 2
    params: dict[str, Any] = {}
    if args.action == "set":
        secret = os.environ.get("TGSERVE_SECRET_TOKEN")
        if not secret:
            print(
                "tgserve webhook set: set TGSERVE_SECRET_TOKEN to the secret your server "
                "expects (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')",
                file=sys.stderr,
            )
            return 2
        params = {"url": args.url, "secret_token": secret}
        params["drop_pending_updates"] = args.drop_pending
        if args.allowed_updates:
            params["allowed_updates"] = [u.strip() for u in args.allowed_updates.split(",")]
        if args.max_connections:
            params["max_connections"] = args.max_connections
        method = "setWebhook"
    elif args.action == "delete":
        params = {"drop_pending_updates": args.drop_pending}
        method = "deleteWebhook"
    else:
        method = "getWebhookInfo"
    ok, result = call(token, method, params)
    if not ok:
        print(f"tgserve webhook {args.action}: {result}", file=sys.stderr)
        return 1
    if method != "getWebhookInfo":
        print(f"{method}: ok")
    elif args.json or not isinstance(result, dict):
        print(json.dumps(result, indent=2))
    else:
        from tgserve._webhook_setup.health import describe

        print("\n".join(describe(result)))
    return 0
