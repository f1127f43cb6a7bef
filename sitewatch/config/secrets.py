"""Resolve secret references (``{env: NAME}``, ``{file: PATH}``) once, at load time.

A daemon that finds out at 3 a.m. that a community file is missing has failed at its job; so
the loader reads every secret up front and reports each one it cannot get as a config issue.
The reasons name the variable or file, never the secret. File paths are relative to the
directory of the config file that names them; trailing newlines are dropped (``echo x > f``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sitewatch.config.locations import ConfigPath, Where
from sitewatch.config.schema import Config, SecretRef, SnmpV1V2Credential
from sitewatch.core.errors import ConfigIssue

__all__ = ["resolve_secrets"]

#: RFC 3414 keys are derived from passwords of at least 8 characters; agents reject shorter.
_V3_MIN_PASSWORD = 8


def resolve_secrets(
    config: Config, locate: Callable[[ConfigPath], Where], *, site_index: Sequence[int]
) -> list[ConfigIssue]:
    """Resolve every ``SecretRef`` in ``config`` in place (``SecretRef.reveal()`` works
    afterwards) and return an issue for each that cannot be resolved."""
    issues = []
    for path, ref, v3 in _refs(config, site_index):
        where = locate((*path, _kind(ref)))
        reason = _resolve(ref, Path(where.file).parent)
        if reason is None and not ref.reveal():
            reason = f"{ref.describe()} is empty"
        elif reason is None and v3 and len(ref.reveal()) < _V3_MIN_PASSWORD:
            reason = f"{ref.describe()}: SNMPv3 passwords need at least {_V3_MIN_PASSWORD} characters"
        if reason is not None:
            issues.append(where.issue(reason))
    return issues


def _refs(config: Config, site_index: Sequence[int]) -> Iterator[tuple[ConfigPath, SecretRef, bool]]:
    """Each secret reference, where it is, and whether it is an SNMPv3 password."""
    for name, cred in config.credentials.items():
        if isinstance(cred, SnmpV1V2Credential):
            yield ("credentials", name, "community"), cred.community, False
            continue
        if cred.auth_password is not None:
            yield ("credentials", name, "auth_password"), cred.auth_password, True
        if cred.priv_password is not None:
            yield ("credentials", name, "priv_password"), cred.priv_password, True
    for i, ref in enumerate(config.traps.communities):
        yield ("traps", "communities", i), ref, False
    for name, ref in config.api.tokens.items():
        yield ("api", "tokens", name), ref, False
    for cname, channel in config.channels.items():
        for key, ref in channel.secrets.items():
            yield ("channels", cname, "secrets", key), ref, False
    if config.notifications.ack_links.secret is not None:
        yield ("notifications", "ack_links", "secret"), config.notifications.ack_links.secret, False
    for k, site in enumerate(config.sites):
        for j, target in enumerate(site.snmp):
            if target.community is not None:
                yield ("sites", site_index[k], "snmp", j, "community"), target.community, False


def _kind(ref: SecretRef) -> str:
    return "env" if ref.env is not None else "file" if ref.file is not None else "value"


def _resolve(ref: SecretRef, base: Path) -> str | None:
    """Read the secret into ``ref``; the reason it cannot be read, or None."""
    if ref.env is not None:
        secret = os.environ.get(ref.env)
        if secret is None:
            return f"environment variable {ref.env} is not set"
    elif ref.file is not None:
        path = base / Path(ref.file).expanduser()
        try:
            secret = path.read_text(encoding="utf-8").rstrip("\r\n")
        except FileNotFoundError:
            return f"secret file {os.path.normpath(path)} does not exist"
        except PermissionError:
            return f"secret file {os.path.normpath(path)} is not readable (permission denied)"
        except IsADirectoryError:
            return f"secret file {os.path.normpath(path)} is a directory"
        except (OSError, UnicodeDecodeError) as e:
            return f"secret file {os.path.normpath(path)} cannot be read ({type(e).__name__})"
    else:
        return None  # inline value: nothing to resolve
    ref.set_resolved(secret)
    return None
