"""``sitewatch incidents``: list, show, acknowledge, resolve and comment on incidents through the
running daemon's HTTP API (the one command path into the incident store).

The token (one of the configuration's ``api.tokens``) comes from ``$SITEWATCH_TOKEN``, or a file
named by ``--token-file`` / ``$SITEWATCH_TOKEN_FILE``; ``--token`` works but warns, since every
user of the machine can read a command line (``ps``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from sitewatch.messages.timefmt import readable_iso

__all__ = ["DEMO_TOKEN_HINT", "add_parser", "format_incident", "format_table", "run"]

DEMO_TOKEN_HINT = "The demo's token is in config/gialai/secrets/api-token-noc."
_NO_TOKEN = ("give a token from the configuration's api.tokens: SITEWATCH_TOKEN=<token>, or "
             "--token-file PATH (or SITEWATCH_TOKEN_FILE=PATH). " + DEMO_TOKEN_HINT)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "incidents", help="list, show, acknowledge or resolve incidents (talks to the running daemon)",
        description="Talks to the daemon's HTTP API with a token from the configuration's api.tokens "
                    "(the read scope to list and show, write to change): $SITEWATCH_TOKEN, or a file named by "
                    f"--token-file or $SITEWATCH_TOKEN_FILE. {DEMO_TOKEN_HINT}")
    p.add_argument("--url", default=os.environ.get("SITEWATCH_URL", "http://127.0.0.1:9641"),
                   help="daemon URL (default $SITEWATCH_URL or http://127.0.0.1:9641)")
    p.add_argument("--token-file", default=os.environ.get("SITEWATCH_TOKEN_FILE"),
                   help="file holding the API token (default $SITEWATCH_TOKEN_FILE)")
    p.add_argument("--token", help="API token on the command line: visible to every user in ps; prefer "
                                   "$SITEWATCH_TOKEN or --token-file")
    p.add_argument("--json", action="store_true", help="print the API's JSON")
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = acts.add_parser("list", help="incidents, newest first (default: open and acknowledged)")
    ls.add_argument("--state", default="active", choices=["active", "open", "acknowledged", "resolved"])
    for name in ("site", "province", "district", "condition", "since"):
        ls.add_argument(f"--{name}")
    ls.add_argument("--limit", type=int, default=100)
    show = acts.add_parser("show", help="one incident with its timeline")
    show.add_argument("id", type=int)
    for action, helptext in (("ack", "acknowledge: stops escalation"), ("resolve", "resolve by hand")):
        a = acts.add_parser(action, help=helptext)
        a.add_argument("id", type=int)
        a.add_argument("--as", dest="actor", help="your name, recorded on the timeline")
        a.add_argument("--comment", "-m")
    resolve = acts.choices["resolve"]
    resolve.add_argument("--force", action="store_true",
                         help="resolve even though the last poll still finds the condition (refused otherwise); "
                              "it opens again at the next poll that still finds it")
    c = acts.add_parser("comment", help="add a comment to the timeline")
    c.add_argument("id", type=int)
    c.add_argument("text")
    c.add_argument("--as", dest="actor")
    p.set_defaults(func=run)


def _when(iso: str | None) -> str:
    """The API's time (ISO 8601 in ``daemon.timezone``) as ``2026-12-06 11:36 +07``."""
    return "" if iso is None else readable_iso(iso)


def format_table(incidents: list[dict[str, Any]]) -> str:
    if not incidents:
        return "no incidents"
    rows = [("ID", "STATE", "SEVERITY", "SITE", "CONDITION", "SINCE", "SUMMARY")]
    for i in incidents:
        cond = i["condition"] + (f" {i['subject']}" if i["subject"] else "")
        state = i["state"] + (" (suppressed)" if i["suppressed_by"] else "") + \
            (" (maintenance)" if i["maintenance_id"] else "") + (" (flapping)" if i["flapping"] else "")
        rows.append((str(i["id"]), state, i["severity"], f"{i['site']} {i['site_name'] or ''}".strip(), cond,
                     _when(i["opened_at"]), i["summary"]))
    widths = [max(len(r[k]) for r in rows) for k in range(6)]
    return "\n".join("  ".join(r[k].ljust(widths[k]) for k in range(6)) + "  " + r[6] for r in rows)


def format_incident(i: dict[str, Any]) -> str:
    lines = [f"incident {i['id']}: {i['condition']}{' ' + i['subject'] if i['subject'] else ''} at "
             f"{i['site']} ({i['site_name']}, {i['district']}, {i['province']})",
             f"state {i['state']}, severity {i['severity']}, opened {_when(i['opened_at'])}"
             + (", paging" if i["paging"] else ", not paging")]
    if i.get("summary"):
        lines.append(f"summary: {i['summary']}")
    if i.get("battery_runtime"):
        b = i["battery_runtime"]
        lines.append(f"battery: about {b['seconds'] // 60} min left ({b['method']}), "
                     f"runs out around {_when(b['predicted_depletion_at'])}")
    if i.get("suppressed_by"):
        lines.append(f"suppressed by incident {i['suppressed_by']} (an upstream outage)")
    if i.get("acknowledged_by"):
        lines.append(f"acknowledged by {i['acknowledged_by']} at {_when(i['acknowledged_at'])}")
    if i.get("resolved_at"):
        lines.append(f"resolved at {_when(i['resolved_at'])}"
                     + (f" by {i['resolved_by']}" if i.get("resolved_by") else ""))
    if i.get("timeline"):
        lines.append("")
        lines += [f"{_when(e['at'])}  {e['kind']:<12} {e['actor']:<20} {e['text']}" for e in i["timeline"]]
    return "\n".join(lines)


def _token(args: argparse.Namespace) -> str | None:
    """The token from --token (with a warning), the token file or $SITEWATCH_TOKEN; None if none."""
    if args.token:
        print("sitewatch incidents: warning: --token is visible to every user of this machine (ps); "
              "use SITEWATCH_TOKEN or --token-file", file=sys.stderr)
        return str(args.token)
    if args.token_file:
        try:
            return Path(args.token_file).expanduser().read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError) as e:
            raise SystemExit(f"sitewatch incidents: cannot read the token file {args.token_file}: "
                             f"{e.strerror if isinstance(e, OSError) else e}") from None
    return os.environ.get("SITEWATCH_TOKEN", "").strip() or None


def run(args: argparse.Namespace) -> int:
    token = _token(args)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(base_url=args.url, timeout=10, headers=headers) as http:
            if args.action == "list":
                params = {k: str(v) for k in ("state", "site", "province", "district", "condition", "since", "limit")
                          if (v := getattr(args, k)) is not None}
                r = http.get("/api/v1/incidents", params=params)
            elif args.action == "show":
                r = http.get(f"/api/v1/incidents/{args.id}")
            elif args.action == "comment":
                r = http.post(f"/api/v1/incidents/{args.id}/comment", json={"text": args.text, "actor": args.actor})
            else:
                force = {"force": True} if getattr(args, "force", False) else {}
                r = http.post(f"/api/v1/incidents/{args.id}/{args.action}",
                              json={"actor": args.actor, "comment": args.comment, **force})
    except httpx.TransportError as e:
        print(f"sitewatch incidents: cannot reach the daemon at {args.url}: {e}", file=sys.stderr)
        return 2
    data: dict[str, Any] = (r.json() if r.headers.get("content-type", "").startswith("application/json")
                            else {"error": r.text})
    if r.status_code >= 400:
        hint = ""
        if r.status_code == 401:
            hint = "\n  " + (_NO_TOKEN if token is None else "the daemon does not know this token; " + _NO_TOKEN)
        print(f"sitewatch incidents: {data.get('error', r.text)} (HTTP {r.status_code}){hint}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.action == "list":
        print(format_table(data["incidents"]))
    elif args.action == "comment":
        print(f"comment added to incident {args.id}")
    else:
        print(format_incident(data))
    return 0
