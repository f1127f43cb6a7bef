"""The daemon's HTTP listener against hostile and careless clients, over real sockets: who may
read what (tokens and scopes, public probes and ack pages, the Host header), bad input answered
by a clear 4xx in JSON, and the limits on heads, bodies, slow and vanishing clients. After each,
the daemon keeps serving."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from sitewatch.web.app import MAX_BODY_BYTES
from sitewatch.web.server import MAX_CONNECTIONS, MAX_HEAD_BYTES
from tests.agents import free_udp_port
from tests.daemon.conftest import API_TOKEN, API_TOKENS, Running, running_daemon, site, write_config

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
METRICS_TOKEN = "s3cret-prometheus-token"
TOKENS = {**API_TOKENS, "prometheus": {"value": METRICS_TOKEN, "scopes": ["metrics"]}}


@asynccontextmanager
async def daemon(tmp: Path, **api: Any) -> AsyncIterator[Running]:
    """A daemon watching one site where nothing answers: it soon has an incident (unreachable)."""
    path = write_config(tmp, [site("DEAD", free_udp_port(), "public")],
                        extra={"api": {"tokens": TOKENS, **api},
                               "thresholds": {"default": {"unreachable_after_polls": 1}}},
                        poll_interval=0.5)
    async with running_daemon(path) as d:
        yield d


async def first_incident(d: Running) -> int:
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        found = (await d.http.get("/api/v1/incidents")).json()["incidents"]
        if found:
            return int(found[0]["id"])
        assert asyncio.get_running_loop().time() < deadline, "no incident opened"
        await asyncio.sleep(0.1)


async def still_serving(d: Running) -> None:
    assert (await d.anonymous.get("/healthz")).text == "ok\n"
    assert (await d.http.get("/api/v1/sites")).status_code == 200


ANONYMOUS_401 = ["/api/v1/sites", "/api/v1/sites/DEAD", "/api/v1/incidents", "/api/v1/incidents/1",
                 "/api/v1/maintenance", "/api/v1/oncall", "/api/v1/people/nobody/oncall.ics",
                 "/api/v1/oncall/nobody.ics", "/api/v1/openapi.json"]


async def test_reads_need_a_token_while_probes_ack_pages_and_metrics_stay_public(tmp_path: Path) -> None:
    async with daemon(tmp_path) as d:
        for path in ANONYMOUS_401:
            r = await d.anonymous.get(path)
            assert r.status_code == 401, path
            assert "bearer token with the read scope" in r.json()["error"]
            assert r.headers["www-authenticate"] == 'Bearer realm="sitewatch"'
            assert (await d.anonymous.get(path, headers={"Authorization": "Bearer wrong"})).status_code == 401
        # public as before: the probes, the ack pages (a bad link is the page's own 400), /metrics
        assert (await d.anonymous.get("/healthz")).status_code == 200
        assert (await d.anonymous.get("/readyz")).status_code in (200, 503)
        ack = await d.anonymous.get("/ack/not-a-signed-link")
        assert ack.status_code == 400 and ack.headers["content-type"].startswith("text/html")
        assert (await d.anonymous.post("/ack/not-a-signed-link", data={"token": "x"})).status_code == 400
        assert (await d.anonymous.get("/metrics")).status_code == 200
        # scopes: read reads and cannot write; a metrics token reads nothing else
        sites = (await d.http.get("/api/v1/sites")).json()["sites"]
        assert [s["id"] for s in sites] == ["DEAD"]
        inc = await first_incident(d)
        r = await d.http.post(f"/api/v1/incidents/{inc}/comment", json={"text": "x"})
        assert r.status_code == 403 and r.json()["error"] == "token 'viewer' lacks the write scope"
        r = await d.anonymous.get("/api/v1/sites", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert r.status_code == 403
        # a token given without scopes keeps every right (configurations from before scopes)
        assert (await d.anonymous.get("/api/v1/sites", headers=AUTH)).status_code == 200
        r = await d.anonymous.post(f"/api/v1/incidents/{inc}/comment", json={"text": "x"}, headers=AUTH)
        assert r.status_code == 201


async def test_metrics_can_require_a_token(tmp_path: Path) -> None:
    async with daemon(tmp_path, metrics_auth=True) as d:
        assert (await d.anonymous.get("/metrics")).status_code == 401
        r = await d.anonymous.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert r.status_code == 200 and "sitewatch_site_info" in r.text
        assert (await d.http.get("/metrics")).status_code == 200  # read covers metrics
        assert (await d.anonymous.get("/healthz")).status_code == 200


async def test_host_header_of_another_name_is_refused(tmp_path: Path) -> None:
    """DNS rebinding: a page on rebind.example, resolving to 127.0.0.1, reads nothing."""
    async with daemon(tmp_path, allowed_hosts=["monitor.vnpt.example"]) as d:
        port = d.base.rpartition(":")[2]
        for host in ("rebind.example", f"rebind.example:{port}", "127.0.0.1.rebind.example"):
            r = await d.http.get("/api/v1/sites", headers={"Host": host})
            assert r.status_code == 400 and "api.allowed_hosts" in r.json()["error"], host
            assert (await d.anonymous.get("/healthz", headers={"Host": host})).status_code == 400
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", "[::1]", f"monitor.vnpt.example:{port}"):
            assert (await d.http.get("/api/v1/sites", headers={"Host": host})).status_code == 200, host


async def test_invalid_ids_bad_json_and_wrong_types_are_clear_4xx(tmp_path: Path) -> None:
    async with daemon(tmp_path) as d:
        inc = await first_incident(d)
        huge = "99999999999999999999999999"
        for method, path in (("GET", f"/api/v1/incidents/{huge}"), ("POST", f"/api/v1/incidents/{huge}/ack"),
                             ("POST", f"/api/v1/incidents/{huge}/resolve"),
                             ("POST", f"/api/v1/incidents/{huge}/comment"),
                             ("DELETE", f"/api/v1/maintenance/{huge}")):
            body = {"text": "x"} if path.endswith("comment") else None
            r = await d.anonymous.request(method, path, json=body, headers=AUTH)
            assert r.status_code == 404 and huge in r.json()["error"], (method, path, r.text)
        for path in ("/api/v1/incidents/abc", "/api/v1/nothing-here"):
            r = await d.http.get(path)
            assert r.status_code == 404 and r.json() == {"error": "Not Found"}
        r = await d.anonymous.delete("/api/v1/sites", headers=AUTH)
        assert r.status_code == 405 and r.json() == {"error": "Method Not Allowed"}
        for q in ({"limit": "99999999999999999999999"}, {"limit": "-1"}, {"limit": "x"}, {"state": "soon"}):
            r = await d.http.get("/api/v1/incidents", params=q)
            assert r.status_code == 400 and r.json()["error"], q

        deep = "[" * 100_000 + "]" * 100_000  # Python's json recurses: RecursionError
        deeper = "[" * 1_000_000 + "]" * 1_000_000  # beyond the body limit
        for path in (f"/api/v1/incidents/{inc}/ack", f"/api/v1/incidents/{inc}/comment", "/api/v1/maintenance"):
            r = await d.anonymous.post(path, content=deep, headers={**AUTH, "Content-Type": "application/json"})
            assert r.status_code == 400 and r.json() == {"error": "the body must be JSON"}, (path, r.text)
            r = await d.anonymous.post(path, content=deeper, headers={**AUTH, "Content-Type": "application/json"})
            assert r.status_code == 413, (path, r.text)
        bad_types: list[tuple[str, dict[str, Any], str]] = [
            (f"/api/v1/incidents/{inc}/comment", {"text": ["x"]}, "text: a non-empty string is required"),
            (f"/api/v1/incidents/{inc}/comment", {"text": "x", "actor": 7}, "actor: expected a string"),
            (f"/api/v1/incidents/{inc}/ack", {"comment": {"a": 1}}, "comment: expected a string"),
            ("/api/v1/maintenance", {"site": "DEAD", "start": 0, "end": 1, "reason": 5, "author": "A"},
             "reason: a non-empty string is required"),
        ]
        for path, payload, error in bad_types:
            r = await d.anonymous.post(path, json=payload, headers=AUTH)
            assert r.status_code == 400 and r.json()["error"] == error, (path, r.text)
        got = (await d.http.get(f"/api/v1/incidents/{inc}")).json()
        assert got["state"] == "open" and [e["kind"] for e in got["timeline"]] == ["opened"]  # nothing changed
        await still_serving(d)


async def test_bodies_and_fields_have_limits(tmp_path: Path) -> None:
    async with daemon(tmp_path) as d:
        inc = await first_incident(d)
        comment = f"/api/v1/incidents/{inc}/comment"
        big = json.dumps({"text": "x" * (50 * 1024 * 1024)}).encode()
        r = await d.anonymous.post(comment, content=big, headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 413
        assert r.json() == {"error": f"the request body is larger than {MAX_BODY_BYTES} bytes"}

        async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"text": "'
            for _ in range(4):
                yield b"x" * MAX_BODY_BYTES
            yield b'"}'

        r = await d.anonymous.post(comment, content=chunked(), headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 413 and "larger than" in r.json()["error"]
        r = await d.anonymous.post(comment, json={"text": "x" * 4001}, headers=AUTH)
        assert r.status_code == 400 and r.json()["error"] == "text: at most 4000 characters (got 4001)"
        window = {"site": "DEAD", "start": 0, "end": 4_000_000_000, "reason": "y" * 4001, "author": "A"}
        r = await d.anonymous.post("/api/v1/maintenance", json=window, headers=AUTH)
        assert r.status_code == 400 and r.json()["error"] == "reason: at most 4000 characters (got 4001)"
        r = await d.anonymous.post("/api/v1/maintenance", json={**window, "reason": "ok", "author": "A" * 201},
                                   headers=AUTH)
        assert r.status_code == 400 and r.json()["error"] == "author: at most 200 characters (got 201)"
        assert (await d.anonymous.post(comment, json={"text": "x" * 4000}, headers=AUTH)).status_code == 201
        timeline = (await d.http.get(f"/api/v1/incidents/{inc}")).json()["timeline"]
        assert [len(e["text"]) for e in timeline if e["kind"] == "comment"] == [4000]
        assert (await d.http.get("/api/v1/maintenance")).json()["windows"] == []
        await still_serving(d)


async def test_the_token_is_the_actor_and_a_given_name_is_a_comment(tmp_path: Path) -> None:
    async with daemon(tmp_path) as d:
        inc = await first_incident(d)
        r = await d.anonymous.post(f"/api/v1/incidents/{inc}/ack", json={"actor": "Giám đốc Trung tâm"},
                                   headers=AUTH)
        assert r.status_code == 200 and r.json()["acknowledged_by"] == "api:noc"
        timeline = (await d.http.get(f"/api/v1/incidents/{inc}")).json()["timeline"]
        acked = [e for e in timeline if e["kind"] == "acknowledged"]
        assert [(e["actor"], e["text"].rpartition(": ")[2]) for e in acked] == [("api:noc", "as Giám đốc Trung tâm")]


def _connect(d: Running) -> socket.socket:
    host, _, port = d.base.removeprefix("http://").rpartition(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


async def test_a_huge_request_head_gets_431_not_a_reset(tmp_path: Path) -> None:
    async with daemon(tmp_path) as d:
        def send_huge() -> bytes:
            with _connect(d) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (1024 * 1024)
                             + b"\r\n\r\n")
                return _read_all(sock)

        answer = await asyncio.to_thread(send_huge)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert answer.endswith(b'{"error": "request head larger than %d bytes"}' % MAX_HEAD_BYTES)
        await still_serving(d)


async def test_slow_and_idle_clients_are_closed_after_the_request_timeout(tmp_path: Path) -> None:
    async with daemon(tmp_path, request_timeout=1) as d:
        host, _, port = d.base.removeprefix("http://").rpartition(":")
        loop = asyncio.get_running_loop()

        async def slow_headers() -> float:
            """Send one header byte every 0.2 s until the server hangs up; how long it took."""
            reader, writer = await asyncio.open_connection(host, int(port))
            start = loop.time()
            try:
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                while loop.time() - start < 15:
                    writer.write(b"X")
                    await writer.drain()
                    try:
                        if await asyncio.wait_for(reader.read(100), 0.2) == b"":
                            break
                    except TimeoutError:
                        continue
            except ConnectionError:
                pass
            finally:
                writer.close()
            return loop.time() - start

        async def idle() -> float:
            reader, writer = await asyncio.open_connection(host, int(port))
            start = loop.time()
            assert await asyncio.wait_for(reader.read(100), 15) == b""
            writer.close()
            return loop.time() - start

        clients = [asyncio.create_task(slow_headers()) for _ in range(40)] + [
            asyncio.create_task(idle()) for _ in range(10)]
        await still_serving(d)  # while they hang on
        held = await asyncio.gather(*clients)
        assert max(held) < 5, held  # closed about a request timeout (1 s) after connecting

        # a slow body: 408
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"POST /api/v1/maintenance HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Authorization: Bearer " + API_TOKEN.encode() +
                     b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        await still_serving(d)


async def test_beyond_the_connection_limit_uvicorn_answers_503_until_idle_ones_close(tmp_path: Path) -> None:
    async with daemon(tmp_path, request_timeout=1) as d:
        host, _, port = d.base.removeprefix("http://").rpartition(":")
        idle = [await asyncio.open_connection(host, int(port)) for _ in range(MAX_CONNECTIONS)]
        try:
            r = await d.anonymous.get("/healthz")
            assert r.status_code == 503
            for reader, _ in idle:  # the idle ones are closed after the request timeout
                assert await asyncio.wait_for(reader.read(100), 10) == b""
            await still_serving(d)
        finally:
            for _, writer in idle:
                writer.close()


async def test_a_client_hanging_up_mid_body_is_no_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    async with daemon(tmp_path) as d:
        inc = await first_incident(d)
        for _ in range(3):
            _, writer = await asyncio.open_connection(*d.base.removeprefix("http://").rsplit(":", 1))
            writer.write(f"POST /api/v1/incidents/{inc}/comment HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         f"Authorization: Bearer {API_TOKEN}\r\nContent-Length: 1000\r\n\r\n".encode() + b'{"te')
            await writer.drain()
            writer.close()
            await writer.wait_closed()
        await still_serving(d)
        timeline = (await d.http.get(f"/api/v1/incidents/{inc}")).json()["timeline"]
        assert [e["kind"] for e in timeline] == ["opened"]
    err = capfd.readouterr().err
    assert "ClientDisconnect" not in err and "Traceback" not in err, err


async def test_the_cli_reads_with_a_token_file_and_explains_a_missing_token(tmp_path: Path) -> None:
    async with daemon(tmp_path) as d:
        inc = await first_incident(d)
        token = tmp_path / "token"
        token.write_text(API_TOKEN + "\n")
        base = ("-m", "sitewatch", "incidents", "--url", d.base)

        async def cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, *base, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                env={k: v for k, v in os.environ.items() if not k.startswith("SITEWATCH_")} | env)
            out, err = await proc.communicate()
            return proc.returncode or 0, out.decode(), err.decode()

        code, _, err = await cli("ack", str(inc), env={})
        assert code == 1
        assert "(HTTP 401)" in err and "SITEWATCH_TOKEN=<token>" in err and "--token-file PATH" in err
        assert "config/gialai/secrets/api-token-noc" in err
        code, out, _ = await cli("show", str(inc), env={"SITEWATCH_TOKEN_FILE": str(token)})
        assert code == 0 and f"incident {inc}: site_unreachable" in out
        code, out, err = await cli("--token", API_TOKEN, "list", env={})
        assert code == 0 and "DEAD" in out and "--token is visible to every user" in err
        code, _, err = await cli("--token-file", str(tmp_path / "missing"), "list", env={})
        assert code == 1 and "cannot read the token file" in err

