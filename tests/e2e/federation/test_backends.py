"""The federated login on both storage set-ups: SQLite alone, PostgreSQL with Redis
(links in the database, login states in the ephemeral store, taken once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp.errors import Conflict
from idp.federation import identity_from_claims
from idp.models import PersonRecord
from tests.e2e.federation.conftest import Upstream
from tests.e2e.federation.conftest import UpstreamBrowser
from tests.e2e.federation.conftest import begin
from tests.e2e.idp.conftest import WANG_ID
from tests.e2e.idp.conftest import IdWorld
from tests.e2e.idp.conftest import build_idworld
from tests.e2e.oidc.conftest import NOW


def test_create_reuse_and_no_replay(
    backend_env: dict[str, str], upstream: Upstream, tmp_path: Path
) -> None:
    env = {**backend_env, **{f"TONGBAN_{k}": v for k, v in upstream.settings().items()}}
    idw = build_idworld(env, tmp_path)
    try:
        people = []
        for _ in range(2):
            browser = idw.browser()
            journey = begin(browser)
            callback = UpstreamBrowser().log_in(journey.authorize_url, "wangwu")
            assert journey.back(callback).status_code == 303, browser.last[:500]
            cookie = browser.client.get_cookie("tb_sid")
            assert cookie is not None
            people.append(idw.provider.sessions.get(cookie.value, now=0).person_id)
            replay = journey.back(callback)
            assert replay.status_code == 400, "a state is taken once"
        assert people[0] == people[1]
        assert idw.provider.accounts.get(people[0]).loa == 2
    finally:
        idw.world.runtime.db.dispose()


def test_a_failed_creation_leaves_nothing_and_a_race_ends_with_one_account(
    backend_env: dict[str, str], tmp_path: Path
) -> None:
    settings = {
        "TONGBAN_FEDERATION__ISSUER": "https://up.example",
        "TONGBAN_FEDERATION__CLIENT_ID": "c",
        "TONGBAN_FEDERATION__CLIENT_SECRET": "s",
    }
    idw = build_idworld({**backend_env, **settings}, tmp_path)
    try:
        federation = idw.provider.federation
        claims = {
            "iss": "https://up.example",
            "sub": "u-1",
            "acr": "urn:tongban:loa:2",
            "legal_name": "王五",
            "id_number": WANG_ID,
        }
        identity = identity_from_claims(claims, federation.settings, today=NOW.date())
        first = federation.sign_in(identity, now=NOW)
        before = count_persons(idw)
        # The loser of a race: it read "no link" and creates; its link collides, and its
        # account (same ID number) goes with it, whichever fails first.
        with pytest.raises((IntegrityError, Conflict)):
            federation._create(identity, now=NOW, request_id=None)
        assert count_persons(idw) == before
        # sign_in retries once and finds the winner's link.
        assert federation.sign_in(identity, now=NOW).person.id == first.person.id
    finally:
        idw.world.runtime.db.dispose()


def count_persons(idw: IdWorld) -> int:
    with idw.provider.db.connection() as conn:
        return int(conn.execute(select(func.count()).select_from(PersonRecord)).scalar_one())
