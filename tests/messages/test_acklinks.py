"""Signed acknowledge links: bound to incidents and person, expiring, short enough for SMS."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitewatch.config.base import SecretRef
from sitewatch.config.oncall_schema import AckLinks
from sitewatch.core.errors import SitewatchError
from sitewatch.messages.acklinks import (
    AckGrant,
    AckLinkError,
    AckSigner,
    BadAckSignature,
    ExpiredAckLink,
    MalformedAckLink,
    signer_from_config,
)
from tests.messages.conftest import BASE_URL, KEY, SIGNER, T0


def _token(url: str) -> str:
    m = re.fullmatch(re.escape(BASE_URL) + r"/ack/([A-Za-z0-9_-]+)", url)
    assert m, url
    return m.group(1)


def test_a_link_verifies_to_what_it_was_made_for() -> None:
    url = SIGNER.link(BASE_URL + "/", incident_ids=(4711,), person="hoa", group=None, now=T0, language="en")
    assert SIGNER.verify(_token(url), T0 + 3600) == AckGrant(
        incident_ids=(4711,), group=None, person="hoa", expires_at=float(int(T0 + 86400)), language="en")


def test_a_group_link_carries_the_key_not_forty_ids() -> None:
    token = SIGNER.token(person="nguyen.van.an", group="gl/chu-se/power", now=T0, language="vi")
    grant = SIGNER.verify(token, T0)
    assert (grant.group, grant.incident_ids, grant.person) == ("gl/chu-se/power", (), "nguyen.van.an")
    # the single-incident link is short enough to leave room for the page text in one or two SMS
    assert len(SIGNER.token(incident_ids=(123456,), person="nguyen.van.an", now=T0, language="vi")) <= 56
    forty = SIGNER.token(incident_ids=range(100_000, 100_040), person="nguyen.van.an", now=T0, language="vi")
    assert len(token) <= 72 < 2 * 72 < len(forty)


@given(ids=st.lists(st.integers(min_value=0, max_value=2**40), max_size=50),
       person=st.text(min_size=1, max_size=40), group=st.none() | st.text(min_size=1, max_size=40),
       language=st.none() | st.sampled_from(["vi", "en"]))
def test_round_trip(ids: list[int], person: str, group: str | None, language: str | None) -> None:
    if not ids and group is None:
        group = "g"
    token = SIGNER.token(incident_ids=ids, person=person, group=group, now=T0, language=language)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    grant = SIGNER.verify(token, T0)
    assert (grant.incident_ids, grant.person, grant.group, grant.language) == (tuple(ids), person, group, language)


def test_every_altered_character_is_refused() -> None:
    token = SIGNER.token(incident_ids=(7,), person="hoa", now=T0)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for k, c in enumerate(token):
        other = alphabet[(alphabet.index(c) + 1) % 64]
        with pytest.raises(AckLinkError):
            SIGNER.verify(token[:k] + other + token[k + 1:], T0)


def test_another_person_or_incident_cannot_be_substituted() -> None:
    """Re-signing is impossible without the key; splicing one token's payload onto another's tag fails."""
    mine = base64.urlsafe_b64decode(SIGNER.token(incident_ids=(7,), person="hoa", now=T0) + "==")
    theirs = base64.urlsafe_b64decode(SIGNER.token(incident_ids=(8,), person="an", now=T0) + "==")
    for payload, tag in ((mine[:-16], theirs[-16:]), (theirs[:-16], mine[-16:]),
                         (mine[:-16].replace(b"hoa", b"hob"), mine[-16:])):
        forged = base64.urlsafe_b64encode(payload + tag).rstrip(b"=").decode()
        with pytest.raises(BadAckSignature, match="altered or was not made by this sitewatch"):
            SIGNER.verify(forged, T0)


def test_a_key_rotation_invalidates_old_links() -> None:
    token = SIGNER.token(incident_ids=(7,), person="hoa", now=T0)
    with pytest.raises(BadAckSignature):
        AckSigner(b"another key of at least 16 bytes", ttl=86400).verify(token, T0)


def test_links_expire_and_say_what_they_were_for() -> None:
    signer = AckSigner(KEY, ttl=600)
    token = signer.token(incident_ids=(7,), person="hoa", now=T0, language="en")
    assert signer.verify(token, T0 + 599).person == "hoa"
    with pytest.raises(ExpiredAckLink, match="expired") as info:
        signer.verify(token, T0 + 600)
    assert (info.value.grant.person, info.value.grant.language) == ("hoa", "en")


@pytest.mark.parametrize("token", ["", "not a token", "abc", "A" * 2000, "AQ", "ü" * 10])
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(MalformedAckLink):
        SIGNER.verify(token, T0)


def test_truncated_and_padded_tokens_are_malformed_not_crashes() -> None:
    token = SIGNER.token(incident_ids=(7, 8), person="hoa", now=T0)
    for cut in range(1, len(token)):
        with pytest.raises(AckLinkError):
            SIGNER.verify(token[:cut], T0)
    with pytest.raises(MalformedAckLink):
        SIGNER.verify(token + "=", T0)


def test_errors_are_sitewatch_errors_and_never_show_the_key() -> None:
    with pytest.raises(SitewatchError) as info:
        SIGNER.verify("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", T0)
    assert KEY.decode() not in str(info.value) and KEY.decode() not in repr(SIGNER)


def test_refuses_to_sign_what_it_could_not_bind() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        AckSigner(b"short", ttl=60)
    with pytest.raises(ValueError, match="incident ids or a group key"):
        SIGNER.token(person="hoa", now=T0)
    with pytest.raises(ValueError, match="bound to a person"):
        SIGNER.token(incident_ids=(1,), person="", now=T0)
    with pytest.raises(ValueError, match="too long"):
        SIGNER.token(incident_ids=(1,), person="x" * 300, now=T0)


def test_signer_from_config() -> None:
    assert signer_from_config(AckLinks()) is None
    signer = signer_from_config(AckLinks(secret=SecretRef(value=KEY.decode()), ttl="2h"))
    assert signer is not None and signer.ttl == 7200
    assert SIGNER.verify(signer.token(incident_ids=(1,), person="hoa", now=T0), T0).incident_ids == (1,)


def test_a_draft_is_the_signed_links_length_and_acknowledges_nothing_until_signed() -> None:
    draft = SIGNER.draft_link(BASE_URL, incident_ids=[7, 300], person="hoa", group="g4", now=T0, language="en")
    signed = SIGNER.link(BASE_URL, incident_ids=[7, 300], person="hoa", group="g4", now=T0, language="en")
    assert len(draft) == len(signed) and draft != signed
    with pytest.raises(AckLinkError):
        SIGNER.verify(_token(draft), T0)
    token = SIGNER.sign_draft(_token(draft), T0 + 3600)  # sent an hour after it was written
    grant = SIGNER.verify(token, T0 + 3600)
    assert (grant.incident_ids, grant.person, grant.group, grant.language) == ((7, 300), "hoa", "g4", "en")
    assert grant.expires_at == T0 + 3600 + SIGNER.ttl, "valid for the whole lifetime from when it is sent"
    with pytest.raises(AckLinkError):
        SIGNER.sign_draft(token, T0)  # only a draft can be signed: a link cannot be re-dated
