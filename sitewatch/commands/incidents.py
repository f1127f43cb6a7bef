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
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from sitewatch.messages.timefmt import readable_iso, short_offset
from sitewatch.web.incidents import MAX_LIST

__all__ = ["DEFAULT_LIMIT", "DEMO_TOKEN_HINT", "add_parser", "format_footer", "format_history", "format_incident",
           "format_table", "run"]

#: incidents ``list`` shows unless told otherwise (the footer says how many there are in all)
DEFAULT_LIMIT = 100

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
    ls.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                    help=f"show at most this many, newest first (default {DEFAULT_LIMIT}); the last line says "
                         "how many match in all")
    show = acts.add_parser("show", help="one incident with its timeline: who was paged, how, and what happened")
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


def format_footer(shown: int, total: int, noun: str, hint: str = "") -> str:
    """``3 incidents`` when all are shown; ``showing 100 of 400 incidents (hint)`` when cut."""
    if shown >= total:
        return f"{total} {noun}"
    return f"showing {shown} of {total} {noun}" + (f" ({hint})" if hint else "")


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _clock(at: datetime, day: datetime | None = None, *, seconds: bool = True) -> str:
    """``11:02:32``; with the date when it is not on ``day``'s date."""
    text = at.strftime("%H:%M:%S" if seconds else "%H:%M")
    return text if day is None or at.date() == day.date() else f"{at:%Y-%m-%d} {text}"


_KIND_LABEL = {"page": "page", "reminder": "reminder", "update": "update", "acknowledged": "ack notice",
               "resolved": "resolution notice"}


def _notification_line(n: dict[str, Any], at: datetime) -> str:
    label = _KIND_LABEL.get(n["kind"], n["kind"])
    if n["level"] is not None:
        label += f" L{n['level']}" + (f" (round {n['round']})" if (n["round"] or 1) > 1 else "")
    who = n["person_name"] or n["person"] or "-"
    where = f"{n['channel']} {n['address']}".strip()
    tries = n["attempts"]
    if n["status"] == "sent":
        outcome = f"sent {_clock(_at(n['sent_at']), at)}" + (f" (attempt {tries})" if tries > 1 else "")
    elif n["status"] == "pending":
        outcome = "queued" + (f", due {_clock(_at(n['due_at']), at)}" if n["due_at_unix"] > n["queued_at_unix"] else "")
        if tries:
            outcome += f"; {tries} failed attempt{'s' if tries > 1 else ''}, last: {n['error'] or 'unknown'}"
    elif n["status"] == "dead":
        outcome = (f"NOT DELIVERED: {n['error'] or 'gave up'} ({tries} attempt{'s' if tries != 1 else ''}, "
                   f"gave up {_clock(_at(n['finished_at']), at)})")
    else:
        outcome = f"cancelled {_clock(_at(n['finished_at']), at)}, never sent"
    if n.get("acknowledged_at"):
        outcome += f"; acknowledged {_clock(_at(n['acknowledged_at']), at, seconds=False)} by {n['acknowledged_by']}"
    return f"{label} → {who} ({where})  {outcome}"


def _unix(d: dict[str, Any], name: str) -> float:
    """The exact time of field ``name`` (its ``_unix`` twin; the ISO text has whole seconds)."""
    t = d.get(f"{name}_unix")
    return float(t) if isinstance(t, int | float) else _at(d[name]).timestamp()


def format_history(i: dict[str, Any]) -> list[str]:
    """The incident's timeline with its escalation steps and every notification, in time order
    (at the same instant: the timeline, the step, then its messages), a date line wherever the
    day changes."""
    paged = {(n["escalation"], n["person"], n["level"]) for n in i.get("notifications", [])}
    entries: list[tuple[float, int, int, datetime, str]] = []
    for k, e in enumerate(i.get("timeline", [])):
        entries.append((_unix(e, "at"), 0, k, _at(e["at"]), f"{e['kind']:<12} {e['actor']}: {e['text']}"
                        if e["text"] else f"{e['kind']:<12} {e['actor']}"))
    for k, s in enumerate(i.get("escalation_events", [])):
        if s["kind"] == "paged" and (s["escalation"], s["person"], s["level"]) in paged:
            continue  # its notifications say it, one line per contact
        what = s["kind"] + (f" L{s['level']}" if s["level"] is not None else "") + \
            (f" {s['person_name']}" if s["person_name"] else "")
        entries.append((_unix(s, "at"), 1, k, _at(s["at"]), f"{'escalation':<12} {s['escalation']} {what}: "
                                                            f"{s['text']}"))
    for k, n in enumerate(i.get("notifications", [])):
        at = _at(n["queued_at"])
        entries.append((_unix(n, "queued_at"), 2, k, at, _notification_line(n, at)))
    entries.sort(key=lambda x: x[:3])
    lines: list[str] = []
    day = None
    for _, _, _, at, text in entries:
        if day is None or at.date() != day:
            day = at.date()
            lines.append(f"{day:%Y-%m-%d}")
        lines.append(f"  {at:%H:%M:%S} {short_offset(at)}  {text}")
    return lines


def _paging_summary(i: dict[str, Any]) -> str | None:
    escalations, notes = i.get("escalations"), i.get("notifications", [])
    if not escalations:
        return None
    counts = {s: sum(1 for n in notes if n["status"] == s) for s in ("sent", "pending", "dead", "cancelled")}
    words = {"sent": "sent", "pending": "waiting", "dead": "failed", "cancelled": "cancelled"}
    e = escalations[-1]
    reached = f", reached level {e['level']}" if e["level"] else ", nobody paged yet"
    told = ", ".join(f"{n} {words[s]}" for s, n in counts.items() if n)
    return (f"escalation {e['key']} ({e['policy']}) {e['status']}{reached}; "
            f"{len(notes)} notification{'s' if len(notes) != 1 else ''}" + (f": {told}" if told else ""))


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
    summary = _paging_summary(i)
    if summary:
        lines.append(f"paging: {summary}")
    history = format_history(i)
    if history:
        lines += ["", *history]
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
        total = int(r.headers.get("x-total-count", data.get("total", len(data["incidents"]))))
        if total:
            more = f"--limit {total} to see them all" if total <= MAX_LIST else \
                f"at most {MAX_LIST} per request: narrow with --state, --site, --district or --since"
            print(format_footer(len(data["incidents"]), total, "incidents", f"newest first; {more}"))
    elif args.action == "comment":
        print(f"comment added to incident {args.id}")
    else:
        print(format_incident(data))
    return 0
