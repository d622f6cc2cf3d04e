"""Enterprise digital certificate login: a signed challenge (JWS with x5c, made by
`tongban cert sign-challenge`) or a certificate forwarded by a trusted proxy; chain,
usage, CRL and entity checks, with a test CA made here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from keys.jose import open_jws_x5c
from tests.e2e.idp.conftest import COMPANY
from tests.e2e.idp.conftest import COMPANY_NAME
from tests.e2e.idp.conftest import Browser
from tests.e2e.idp.conftest import IdWorld
from tests.e2e.idp.conftest import uscc
from tests.e2e.oidc.conftest import NOW
from tests.fakes import pki
from tests.fakes.signed_service import serving
from tongban.cli import main


@dataclass
class Setup:
    idw: IdWorld
    ca: pki.CA
    crls: pki.CRLServer
    tmp: Path

    def files(self, key: Any, cert: Any, name: str = "company") -> tuple[Path, Path]:
        key_file, cert_file = self.tmp / f"{name}.key", self.tmp / f"{name}.pem"
        key_file.write_bytes(pki.key_pem(key))
        cert_file.write_bytes(pki.pem(cert))
        return key_file, cert_file

    def sign(self, browser: Browser, key: Any, cert: Any, *, audience: str | None = None) -> str:
        browser.get("/login/certificate")
        challenge = re.search(r"(tbc1\.[A-Za-z0-9_-]+)", browser.last)
        assert challenge, browser.last
        key_file, cert_file = self.files(key, cert)
        result = CliRunner().invoke(
            main,
            [
                "cert",
                "sign-challenge",
                challenge.group(1),
                "--key",
                str(key_file),
                "--cert",
                str(cert_file),
                "--audience",
                audience or self.idw.provider.issuer,
            ],
        )
        assert result.exit_code == 0, result.output
        return result.output.strip()


@pytest.fixture
def setup(make_idworld: Any, tmp_path: Path) -> Iterator[Setup]:
    crls = pki.CRLServer()
    with serving(crls):  # type: ignore[arg-type]
        ca = pki.make_ca("测试企业 CA", crl_url=f"{crls.base_url}/ca.crl")
        crls.publish["ca"] = ca.crl
        roots = pki.write_roots(tmp_path / "enterprise-roots.pem", [ca])
        idw = make_idworld(
            CERTIFICATES__ROOTS_FILE=str(roots),
            CERTIFICATES__PROXY_HEADER="X-SSL-Client-Cert",
            CERTIFICATES__PROXY_ADDRESSES="127.0.0.1, ::1",
        )
        idw.provider.entities.register(
            COMPANY, COMPANY_NAME, idw.persons["lisi"], now=NOW, actor="test"
        )
        yield Setup(idw, ca, crls, tmp_path)


def test_a_signed_challenge_logs_in_the_entitys_representative_at_level_3(setup: Setup) -> None:
    key, cert = pki.issue(setup.ca, COMPANY)
    browser = setup.idw.browser()
    signed = setup.sign(browser, key, cert)
    message = open_jws_x5c(signed)
    assert message.payload["aud"] == setup.idw.provider.issuer
    assert message.certificates[0] == cert
    done = browser.post("/login/certificate", {"signed": signed})
    assert done.status_code == 303, browser.last
    session = setup.idw.provider.sessions.get(
        browser.client.get_cookie("tb_sid").value, now=int(NOW.timestamp()) + 1
    )  # type: ignore[union-attr]
    entity = setup.idw.provider.entities.get(COMPANY)
    assert session.person_id == setup.idw.persons["lisi"]
    assert session.acting_for == entity.id
    assert session.amr == ("x509",)
    assert session.acr == "urn:tongban:loa:3"
    assert setup.crls.requests == 1
    # The signed answer cannot be replayed: its challenge was taken.
    again = setup.idw.browser()
    again.get("/login/certificate?lang=en")
    replay = again.post("/login/certificate", {"signed": signed})
    assert replay.status_code == 401
    assert "expired or was used already" in again.last


def reason(setup: Setup, signed: str) -> str:
    browser = setup.idw.browser()
    browser.get("/login/certificate", lang="en")
    response = browser.post("/login/certificate", {"signed": signed})
    assert response.status_code == 401, browser.last
    assert browser.client.get_cookie("tb_sid") is None
    found = re.search(r'<p class="alert" role="alert">([^<]+)</p>', browser.last)
    assert found
    return found.group(1)


def test_certificates_that_must_be_refused(setup: Setup) -> None:
    other_ca = pki.make_ca("别的 CA")
    key, cert = pki.issue(other_ca, COMPANY)
    assert "not issued by an enterprise CA that Tongban trusts" in reason(
        setup, setup.sign(setup.idw.browser(), key, cert)
    )
    key, cert = pki.issue(setup.ca, COMPANY, not_before=NOW - dt.timedelta(days=30), days=10)
    assert "outside its validity period" in reason(
        setup, setup.sign(setup.idw.browser(), key, cert)
    )
    key, cert = pki.issue(setup.ca, COMPANY)
    setup.ca.revoked.append(cert.serial_number)
    assert "revoked" in reason(setup, setup.sign(setup.idw.browser(), key, cert))
    key, cert = pki.issue(setup.ca, None)
    assert "no unified social credit code" in reason(
        setup, setup.sign(setup.idw.browser(), key, cert)
    )
    key, cert = pki.issue(setup.ca, uscc("110000", "A1234567"))
    assert "no active entity" in reason(setup, setup.sign(setup.idw.browser(), key, cert))
    key, cert = pki.issue(setup.ca, COMPANY, client_auth=False)
    assert "not meant for client authentication" in reason(
        setup, setup.sign(setup.idw.browser(), key, cert)
    )
    key, cert = pki.issue(setup.ca, COMPANY)
    assert "signed for another service" in reason(
        setup, setup.sign(setup.idw.browser(), key, cert, audience="https://evil.example")
    )
    assert "not valid" in reason(setup, "not.a.jws")


def test_an_unreachable_or_forged_crl_refuses_the_login(setup: Setup) -> None:
    key, cert = pki.issue(setup.ca, COMPANY)
    setup.crls.fail = True
    assert "could not be checked" in reason(setup, setup.sign(setup.idw.browser(), key, cert))
    setup.crls.fail = False
    impostor = pki.make_ca("测试企业 CA")  # same name, other key
    setup.crls.publish["ca"] = lambda: setup.ca.crl(signer=impostor.key)
    assert "could not be checked" in reason(setup, setup.sign(setup.idw.browser(), key, cert))


def test_a_certificate_forwarded_by_a_trusted_proxy(setup: Setup) -> None:
    _key, cert = pki.issue(setup.ca, COMPANY)
    header = {"X-SSL-Client-Cert": quote(pki.pem(cert).decode())}
    browser = setup.idw.browser()
    browser.get("/login/certificate")
    assert "使用浏览器已出示的客户端证书" in browser.last
    token = browser.csrf()
    done = browser.client.post("/login/certificate/tls", data={"csrf_token": token}, headers=header)
    assert done.status_code == 303
    # The same header from anyone else is ignored.
    outsider = setup.idw.browser()
    outsider.client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    outsider.get("/login/certificate")
    refused = outsider.client.post(
        "/login/certificate/tls", data={"csrf_token": outsider.csrf()}, headers=header
    )
    assert refused.status_code == 401


def test_an_agent_logged_in_keeps_their_own_account(setup: Setup) -> None:
    p = setup.idw.provider
    zhang = setup.idw.persons["zhangsan"]
    p.entities.appoint_agent(
        COMPANY, zhang, ("licences",), NOW + dt.timedelta(days=30), now=NOW, actor="test"
    )
    browser = setup.idw.browser()
    assert browser.login("zhangsan").status_code == 303
    key, cert = pki.issue(setup.ca, COMPANY)
    done = browser.post("/login/certificate", {"signed": setup.sign(browser, key, cert)})
    assert done.status_code == 303
    session = p.sessions.get(
        browser.client.get_cookie("tb_sid").value, now=int(NOW.timestamp()) + 1
    )  # type: ignore[union-attr]
    assert session.person_id == zhang
    assert session.acting_for == p.entities.get(COMPANY).id
    # A level-1 agent's certificate login is level 1: level 3 needs a level-2 account.
    assert session.acr == "urn:tongban:loa:1"


def test_sign_challenge_refuses_a_key_of_another_certificate(setup: Setup, tmp_path: Path) -> None:
    key, _cert = pki.issue(setup.ca, COMPANY)
    _other_key, other_cert = pki.issue(setup.ca, COMPANY)
    key_file, cert_file = setup.files(key, other_cert, "mismatch")
    result = CliRunner().invoke(
        main,
        [
            "cert",
            "sign-challenge",
            "tbc1.x",
            "--key",
            str(key_file),
            "--cert",
            str(cert_file),
            "--audience",
            "https://id.example.gov.cn",
        ],
    )
    assert result.exit_code != 0
    assert "does not belong" in result.output
