from __future__ import annotations

import json
import logging

import pytest

from tongban.i18n import LOCALES
from tongban.i18n import MESSAGES
from tongban.i18n import negotiate
from tongban.i18n import register
from tongban.i18n import translate
from tongban.logs import JSONFormatter
from tongban.logs import redact


def test_every_message_exists_in_every_locale() -> None:
    keys = [set(MESSAGES[locale]) for locale in LOCALES]
    assert all(k == keys[0] for k in keys), {
        locale: sorted(keys[0] ^ set(MESSAGES[locale])) for locale in LOCALES
    }


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, [], "zh-CN"),
        ("en", None, ["zh-CN"], "en"),
        (None, "en", ["zh"], "en"),
        ("fr", "xx", ["en-GB"], "en"),
        (None, None, ["zh-TW", "en"], "zh-CN"),
        (None, None, ["de", "fr"], "zh-CN"),
    ],
)
def test_language_negotiation(
    query: str | None, cookie: str | None, accept: list[str], expected: str
) -> None:
    assert negotiate(query, cookie, accept) == expected


def test_translate_falls_back_to_chinese_then_to_the_key() -> None:
    assert translate("brand", "en") == "Tongban"
    assert translate("brand", "fr") == "通办"
    assert translate("no.such.key", "en") == "no.such.key"


def test_register_refuses_conflicting_keys() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        register({"en": {"brand": "Something else"}})
    with pytest.raises(ValueError, match="unknown locale"):
        register({"fr": {"x": "y"}})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id 110101199003078515 here", "id 1101**********8515 here"),
        ("id 11010119900307851X", "id 1101**********851X"),
        ("phone 13812345678.", "phone 138****5678."),
        ("order 20261127120000123456789", "order 20261127120000123456789"),  # too long: not an ID
        ("port 8000, pid 12345", "port 8000, pid 12345"),
    ],
)
def test_redaction_masks_identity_and_phone_numbers(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_json_log_lines_are_redacted_including_extra_fields() -> None:
    record = logging.makeLogRecord(
        {
            "name": "tongban.test",
            "levelname": "INFO",
            "levelno": 20,
            "msg": "lookup %s",
            "args": ("110101199003078515",),
            "path": "/persons/13812345678",
        }
    )
    line = json.loads(JSONFormatter().format(record))
    assert line["msg"] == "lookup 1101**********8515"
    assert line["path"] == "/persons/138****5678"
