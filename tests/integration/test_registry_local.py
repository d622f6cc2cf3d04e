"""The local real-name registry and its CSV importer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from idp.identity.documents import parse_document
from idp.identity.documents import resident_id_check_char
from idp.identity.uscc import parse_credit_code
from idp.registry.errors import RegistryImportInvalid
from idp.registry.importer import ImportProgress
from idp.registry.importer import import_entities
from idp.registry.importer import import_persons
from idp.registry.importer import prune_stale_persons
from idp.registry.local import LocalRegistry
from idp.registry.models import RegistryEntity
from idp.registry.models import RegistryPerson
from idp.registry.port import EntityStatus
from idp.registry.port import Outcome
from idp.registry.port import RealNameRegistry
from keys.master import MasterKeys
from keys.master import generate_master_key
from keys.master import parse_master_keys
from keys.pii import PersonalDataCipher
from store.db import Database

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
ZHANG = "11010519491231002X"
USCC = "91350100M000100Y43"


def rid(region: str, birth: str, seq: str = "123") -> str:
    body = region + birth + seq
    return body + resident_id_check_char(body)


LI = rid("310115", "19900101", "153")


@pytest.fixture
def master() -> MasterKeys:
    return parse_master_keys(generate_master_key(), "test")


@pytest.fixture
def cipher(master: MasterKeys) -> PersonalDataCipher:
    return PersonalDataCipher(master)


def write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


PERSONS = f"""name,id_number,id_type
张三,{ZHANG},resident_id
李四,{LI.lower()},
买买提・艾力,E12345678,passport
"""


def count(db: Database, model) -> int:
    with db.connection() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_import_and_verify_persons(database: Database, cipher, tmp_path: Path) -> None:
    seen: list[ImportProgress] = []
    report = import_persons(
        database,
        cipher,
        write(tmp_path, "persons.csv", PERSONS, bom=True),
        now=NOW,
        progress=seen.append,
    )
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (3, 3, 0, 0)
    assert seen[0].phase == "validate"
    assert seen[-1] == ImportProgress("write", 3, 3)
    registry = LocalRegistry(database, cipher)
    assert isinstance(registry, RealNameRegistry)
    doc = parse_document("resident_id", ZHANG, today=TODAY)
    assert registry.verify_person("张三", doc).outcome is Outcome.MATCH
    assert registry.verify_person("张 三", doc).outcome is Outcome.NAME_MISMATCH
    assert registry.verify_person("李四", parse_document("resident_id", LI, today=TODAY)).matched
    passport = parse_document("passport", "E12345678", today=TODAY)
    assert registry.verify_person("买买提·艾力", passport).matched
    other = parse_document("resident_id", rid("110105", "19800101"), today=TODAY)
    assert registry.verify_person("张三", other).outcome is Outcome.NOT_FOUND
    # A resident ID number and a passport number with the same digits are different people.
    with database.connection() as conn:
        stored = list(conn.execute(select(RegistryPerson.id_hash)).scalars())
    assert all(h.startswith("tbh1.") and ZHANG not in h for h in stored)


def test_import_is_idempotent_and_updates_changes(
    database: Database, cipher, tmp_path: Path
) -> None:
    path = write(tmp_path, "persons.csv", PERSONS)
    import_persons(database, cipher, path, now=NOW)
    again = import_persons(database, cipher, path, now=NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    renamed = write(tmp_path, "renamed.csv", PERSONS.replace("张三", "张叁"))
    report = import_persons(database, cipher, renamed, now=NOW)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    assert count(database, RegistryPerson) == 3
    doc = parse_document("resident_id", ZHANG, today=TODAY)
    assert LocalRegistry(database, cipher).verify_person("张叁", doc).matched


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(
    database: Database, cipher, tmp_path: Path
) -> None:
    text = (
        "姓名,证件号码,证件类型\n"  # Chinese headers are fine.
        f"张三,{ZHANG},\n"
        f"王五,{ZHANG[:17]}0,\n"  # line 3: check digit
        ",E12345678,passport\n"  # line 4: no name
        f"赵六,{rid('990101', '19800101')},\n"  # line 5: region
        "\n"
        f"孙七,{rid('110105', '20991231')},\n"  # line 7: future
        f"张三,{ZHANG},\n"  # line 8: duplicate of line 2
        "周八,X1234567,driving_licence\n"  # line 9: type
        '"吴\n九",E87654321,passport\n'  # lines 10-11: a quoted newline, read as a space
        "郑十,E1111111,passport\n"  # line 12: passport number too short
        "钱\x07,E22222222,passport\n"  # line 13: a control character
    )
    with pytest.raises(RegistryImportInvalid) as info:
        import_persons(database, cipher, write(tmp_path, "persons.csv", text), now=NOW)
    problems = {p.line: p.message for p in info.value.problems}
    assert sorted(problems) == [3, 4, 5, 7, 8, 9, 12, 13]
    assert "check character" in problems[3]
    assert problems[4] == "name is empty"
    assert "region code" in problems[5]
    assert "in the future" in problems[7]
    assert problems[8] == "same record as line 2"
    assert "unknown document type" in problems[9]
    assert "G or E and 8 digits" in problems[12]
    assert "control characters" in problems[13]
    assert "8 bad row(s), nothing was imported" in info.value.message
    assert ZHANG not in info.value.message
    assert count(database, RegistryPerson) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"name,number\n", "unknown column 'number'"),
        (b"name\n", "missing column(s) id_number"),
        (b"name,id_number,name\n", "column name appears twice"),
        ("name,id_number\n张三,1,2\n".encode(), "line 2: 3 fields"),
        ("name,id_number\n张三,x\n".encode("gb18030"), "line 2: not UTF-8"),
    ],
)
def test_malformed_files(
    database: Database, cipher, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "persons.csv"
    path.write_bytes(content)
    with pytest.raises(
        RegistryImportInvalid, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        import_persons(database, cipher, path, now=NOW)


def test_many_rows_in_batches_with_progress(database: Database, cipher, tmp_path: Path) -> None:
    lines = ["name,id_number"]
    for i in range(2500):
        month = f"{1 + i // 1000:02d}"
        lines.append(f"人{i},{rid('440305', f'1990{month}01', f'{i % 1000:03d}')}")
    seen: list[ImportProgress] = []
    report = import_persons(
        database, cipher, write(tmp_path, "p.csv", "\n".join(lines)), now=NOW, progress=seen.append
    )
    assert report.inserted == 2500
    assert [p.done for p in seen if p.phase == "write"] == [1000, 2000, 2500]
    assert count(database, RegistryPerson) == 2500


def test_master_key_rotation_keeps_lookups_working(
    database: Database, master, tmp_path: Path
) -> None:
    path = write(tmp_path, "persons.csv", PERSONS)
    import_persons(database, PersonalDataCipher(master), path, now=NOW)
    new = parse_master_keys(generate_master_key(), "new")
    rotated = PersonalDataCipher(MasterKeys(new.keys + master.keys))
    doc = parse_document("resident_id", ZHANG, today=TODAY)
    assert LocalRegistry(database, rotated).verify_person("张三", doc).matched
    import_persons(database, rotated, path, now=NOW)
    assert count(database, RegistryPerson) == 6
    assert prune_stale_persons(database, rotated) == 3
    assert LocalRegistry(database, PersonalDataCipher(new)).verify_person("张三", doc).matched


ENTITIES = f"""统一社会信用代码,名称,法定代表人,登记状态
{USCC},福州某某科技有限公司,张三,存续
91330100716105852F,杭州某某有限公司,李四,吊销
91110000802100433B,北京某某有限公司,王五,cancelled
11100000000013127D,某某部,赵六,
"""


def test_import_and_verify_entities(database: Database, cipher, tmp_path: Path) -> None:
    report = import_entities(database, write(tmp_path, "entities.csv", ENTITIES, bom=True), now=NOW)
    assert report.inserted == 4
    registry = LocalRegistry(database, cipher)
    code = parse_credit_code(USCC)
    verdict = registry.verify_entity(code, "福州某某科技有限公司", "张三")
    assert (verdict.outcome, verdict.entity_status) == (Outcome.MATCH, EntityStatus.ACTIVE)
    assert registry.verify_entity(code, "福州某某", "张三").outcome is Outcome.NAME_MISMATCH
    assert (
        registry.verify_entity(code, "福州某某科技有限公司", "李四").outcome
        is Outcome.REPRESENTATIVE_MISMATCH
    )
    revoked = registry.verify_entity(
        parse_credit_code("91330100716105852F"), "杭州某某有限公司", "李四"
    )
    assert (revoked.outcome, revoked.entity_status) == (Outcome.INACTIVE, EntityStatus.REVOKED)
    assert registry.verify_entity(parse_credit_code("11100000000013127D"), "某某部", "赵六").matched
    missing = registry.verify_entity(parse_credit_code("91440300708461136T"), "x", "y")
    assert missing.outcome is Outcome.NOT_FOUND
    again = import_entities(
        database, write(tmp_path, "e2.csv", ENTITIES.replace("存续", "注销")), now=NOW
    )
    assert (again.updated, again.unchanged) == (1, 3)
    with database.connection() as conn:
        assert (
            conn.execute(
                select(RegistryEntity.status).where(RegistryEntity.credit_code == USCC)
            ).scalar_one()
            == "cancelled"
        )


def test_bad_entity_rows(database: Database, tmp_path: Path) -> None:
    text = (
        "uscc,name,legal_representative,status\n"
        f"{USCC},福州某某,张三,active\n"
        "91350100M000100Y44,x,y,active\n"  # line 3: check character
        "91350100MOOO100Y43,x,y,active\n"  # line 4: letter O
        f"{USCC[:-1]},x,y,active\n"  # line 5: length
        "91330100716105852F,x,y,asleep\n"  # line 6: status
        "91110000802100433B,x,,active\n"  # line 7: no representative
    )
    with pytest.raises(RegistryImportInvalid) as info:
        import_entities(database, write(tmp_path, "entities.csv", text), now=NOW)
    problems = {p.line: p.message for p in info.value.problems}
    assert sorted(problems) == [3, 4, 5, 6, 7]
    assert "character 18" in problems[3]
    assert "'O'" in problems[4]
    assert "18 characters, not 17" in problems[5]
    assert "status 'asleep'" in problems[6]
    assert problems[7] == "legal_representative is empty"
    assert count(database, RegistryEntity) == 0


def test_birth_dates_are_bounded_by_now(database: Database, cipher, tmp_path: Path) -> None:
    born_today = rid("110105", TODAY.strftime("%Y%m%d"))
    path = write(tmp_path, "p.csv", f"name,id_number\n新生儿,{born_today}\n")
    with pytest.raises(RegistryImportInvalid, match="in the future"):
        import_persons(database, cipher, path, now=datetime(2026, 11, 26, tzinfo=UTC))
    assert import_persons(database, cipher, path, now=NOW).inserted == 1
    assert date.fromisoformat("2026-11-27") == TODAY
