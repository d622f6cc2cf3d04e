"""NIST SP 800-63B password rules."""

from __future__ import annotations

import pytest

from idp.authn.errors import PasswordCharacterInvalid
from idp.authn.errors import PasswordCommon
from idp.authn.errors import PasswordContainsContext
from idp.authn.errors import PasswordRejected
from idp.authn.errors import PasswordRepetitive
from idp.authn.errors import PasswordTooLong
from idp.authn.errors import PasswordTooShort
from idp.authn.password_policy import MAX_LENGTH
from idp.authn.password_policy import PasswordPolicy
from idp.authn.password_policy import check_password
from idp.authn.password_policy import load_blocklist
from idp.authn.password_policy import normalise_password

CONTEXT = ["zhangsan", "张三", "13812345678"]


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Tr0ub4dor&3x",
        "我的密码是一句很长的话",
        "一二三四五六七八",
        "mañana por la mañana",
        "    spaces    count    ",
        "x" * 3 + "y" * 3 + "z" * 3 + "w",
        "a" * 40 + "b" * 40 + "c" * 48,
    ],
)
def test_accepted_passwords(password: str) -> None:
    assert check_password(password, context=CONTEXT) == normalise_password(password)


def test_length_counts_code_points_after_nfkc() -> None:
    assert check_password("密码长度八个字符") == "密码长度八个字符"
    with pytest.raises(PasswordTooShort, match="7 characters; it needs at least 8"):
        check_password("密码七个字符啊")
    with pytest.raises(PasswordTooLong, match=f"at most {MAX_LENGTH}"):
        check_password("horse " * 22)
    assert len(check_password("a1b2c3d4" * 16)) == MAX_LENGTH


def test_full_width_input_normalises_to_ascii() -> None:
    assert check_password("Ｑｕｉｅｔ ｒｉｖｅｒ ７") == "Quiet river 7"


@pytest.mark.parametrize("bad", ["tab\there-ok-long", "nul\x00byte-long", "line\u2028break-long"])
def test_control_and_separator_characters_are_refused(bad: str) -> None:
    with pytest.raises(PasswordCharacterInvalid, match="character"):
        check_password(bad)


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "PASSWORD",
        "iloveyou",
        "qwerty123",
        "woaini1314",
        "5201314520",
        "Password123!",
        "!!dragon2024",
        "1qaz2wsx",
    ],
)
def test_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(PasswordCommon):
        check_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaa",
        "abababab",
        "abcabcabc",
        "abcdefgh",
        "87654321",
        "qwertyui",
        "lkjhgfds",
        "zzzzzzzzzzzzzzzz",
    ],
)
def test_repetitive_and_sequential_passwords_are_refused(password: str) -> None:
    with pytest.raises(PasswordRepetitive):
        check_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "zhangsan2024!",
        "ZhangSan-zhangsan",
        "张三张三1234",
        "13812345678",
        "tongban!2024",
        "通办通办通办123",
    ],
)
def test_context_words_are_refused(password: str) -> None:
    with pytest.raises((PasswordContainsContext, PasswordCommon)):
        check_password(password, context=CONTEXT)


def test_a_context_word_inside_a_long_passphrase_is_fine() -> None:
    assert check_password("zhangsan likes green tea at dawn", context=CONTEXT)


def test_errors_are_user_facing_with_stable_codes() -> None:
    with pytest.raises(PasswordRejected) as info:
        check_password("short")
    assert (info.value.code, info.value.http_status, info.value.expose) == (
        "password_too_short",
        400,
        True,
    )


def test_blocklist_is_large_and_normalised() -> None:
    blocklist = load_blocklist()
    assert len(blocklist) >= 30_000
    assert {"123456", "password", "woaini1314", "tongban"} <= blocklist
    assert all(entry == entry.casefold() for entry in blocklist)


def test_policy_refuses_weaker_limits_than_the_guideline() -> None:
    with pytest.raises(ValueError, match="SP 800-63B"):
        PasswordPolicy(frozenset(), min_length=6)
    with pytest.raises(ValueError, match="SP 800-63B"):
        PasswordPolicy(frozenset(), max_length=32)
    assert PasswordPolicy(frozenset({"mountain"})).check("12345xyz-") == "12345xyz-"
