"""The shipped blocklist is exactly what its documented source produces."""

from __future__ import annotations

from idp.authn import _blocklist_build


def test_shipped_file_matches_the_zxcvbn_source() -> None:
    shipped = _blocklist_build.TARGET.read_text(encoding="utf-8").splitlines()
    assert shipped == _blocklist_build.build_lines()
    assert len([line for line in shipped if not line.startswith("#")]) == 30_000
