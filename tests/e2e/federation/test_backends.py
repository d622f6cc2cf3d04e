"""The federated login on both storage set-ups: SQLite alone, PostgreSQL with Redis
(links in the database, login states in the ephemeral store, taken once)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.federation.conftest import Upstream
from tests.e2e.federation.conftest import UpstreamBrowser
from tests.e2e.federation.conftest import begin
from tests.e2e.idp.conftest import build_idworld


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
