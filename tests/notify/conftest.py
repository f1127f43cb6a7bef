"""Receivers for the notification tests: an HTTP capture server, TLS files, an SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.notify.cases import SMTP_PASSWORD, SMTP_USER
from tests.notify.receivers import CaptureServer, SmtpCapture, TlsFiles, tls_files


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return tls_files(Path(tmp_path_factory.mktemp("tls")))


@pytest.fixture
async def capture() -> AsyncIterator[CaptureServer]:
    async with CaptureServer() as server:
        yield server


@pytest.fixture
async def smtp(tls: TlsFiles) -> AsyncIterator[SmtpCapture]:
    """STARTTLS required, AUTH required (``SMTP_USER`` / ``SMTP_PASSWORD``)."""
    async with SmtpCapture(tls=tls, users={SMTP_USER: SMTP_PASSWORD}) as server:
        yield server
