from __future__ import annotations

from pathlib import Path

from config.reference import settings_reference

DOC = Path(__file__).resolve().parents[3] / "docs" / "settings.md"


def test_docs_settings_md_is_generated_from_the_code() -> None:
    assert DOC.read_text(encoding="utf-8") == settings_reference(), (
        "docs/settings.md is stale: run `tongban config reference --write docs/settings.md`"
    )


def test_reference_lists_every_setting_with_its_variable() -> None:
    text = settings_reference()
    assert "| `database.url` | `TONGBAN_DATABASE__URL` |" in text
    assert "| `data_dir` | `TONGBAN_DATA_DIR` |" in text
    assert "| `mode` | `TONGBAN_MODE` | `development` \\| `production` |" in text
