"""Issue 19 item 8: the state directory and the database (with its -wal and -shm) are the
daemon's alone, whatever the umask; files an older sitewatch left readable are tightened, loudly."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitewatch.config.schema import Config
from sitewatch.daemon import ack_signer
from tests.store import incident_store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the default that made them 0755 and 0644
    yield
    os.umask(old)


def files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


@pytest.mark.usefixtures("loose_umask")
def test_a_new_state_directory_and_database_are_private(tmp_path: Path) -> None:
    db = tmp_path / "state" / "incidents.sqlite3"
    with incident_store(db) as store:
        store.db.connection.execute("CREATE TABLE probe (x)")  # a write: the WAL has content
        assert all(p.exists() for p in files(db))
        assert mode(db.parent) == 0o700
        assert {p.name: mode(p) for p in files(db)} == {p.name: 0o600 for p in files(db)}


@pytest.mark.usefixtures("loose_umask")
def test_an_old_world_readable_database_is_tightened_and_said(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "incidents.sqlite3"
    with incident_store(db) as store:
        store.db.connection.execute("CREATE TABLE probe (x)")
    for p in files(db):
        if p.exists():
            p.chmod(0o644)
    with caplog.at_level(logging.ERROR), incident_store(db) as store:
        store.db.connection.execute("INSERT INTO probe VALUES (1)")
        assert {p.name: mode(p) for p in files(db)} == {p.name: 0o600 for p in files(db)}
    assert f"state file {db} was open to other users (mode 0644); made it 0600" in caplog.text


@pytest.mark.usefixtures("loose_umask")
def test_the_ack_link_key_and_its_directory_are_private(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    state = tmp_path / "state"
    config = Config.model_validate({"daemon": {"state_dir": str(state)}})
    ack_signer(config)
    assert (mode(state), mode(state / "ack-links.key")) == (0o700, 0o600)
    (state / "ack-links.key").chmod(0o640)
    with caplog.at_level(logging.ERROR):
        ack_signer(config)  # the same key, no longer readable by the group
    assert mode(state / "ack-links.key") == 0o600 and "was open to other users (mode 0640)" in caplog.text
