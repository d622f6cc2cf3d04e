"""Load ``persons.csv`` and ``entities.csv`` into the local real-name registry.

The files are UTF-8 (with or without a byte-order mark) with a header row; headers
may be English or Chinese::

    persons.csv:   name|姓名, id_number|证件号码, [id_type|证件类型]      (default resident_id)
    entities.csv:  uscc|统一社会信用代码, name|名称, legal_representative|法定代表人,
                   [status|登记状态]                                      (default active)

An import runs in two passes over the file. The first validates every row with the
rules of :mod:`idp.identity` and collects the bad ones with their line numbers; if any
is bad, :class:`~idp.registry.errors.RegistryImportInvalid` lists them and nothing is
written. The second upserts every row in one transaction, so a failure half-way leaves
the tables as they were. Importing the same file again changes nothing (idempotent).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import Final
from typing import Literal

from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from config.errors import TongbanError
from idp.identity.documents import DocumentType
from idp.identity.documents import parse_document
from idp.identity.uscc import parse_credit_code
from idp.registry.errors import RegistryImportInvalid
from idp.registry.errors import RowProblem
from idp.registry.local import ID_NUMBER_PURPOSE
from idp.registry.models import RegistryEntity
from idp.registry.models import RegistryPerson
from idp.registry.port import EntityStatus
from idp.registry.port import normalise_name
from keys.pii import HASH_PREFIX
from keys.pii import PersonalDataCipher
from store.db import Database

#: At most this many problems are kept (and shown); the rest are only counted.
MAX_PROBLEMS: Final = 200
BATCH: Final = 1000
MAX_NAME_LENGTH: Final = 100

_PERSON_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "name": ("name", "姓名"),
    "id_number": ("id_number", "证件号码", "身份证号码", "公民身份号码"),
    "id_type": ("id_type", "证件类型"),
}
_ENTITY_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "uscc": ("uscc", "credit_code", "统一社会信用代码"),
    "name": ("name", "名称", "企业名称"),
    "legal_representative": ("legal_representative", "法定代表人", "负责人"),
    "status": ("status", "登记状态", "经营状态"),
}
_STATUS_WORDS: Final = {
    "active": EntityStatus.ACTIVE,
    "存续": EntityStatus.ACTIVE,
    "在业": EntityStatus.ACTIVE,
    "在营": EntityStatus.ACTIVE,
    "开业": EntityStatus.ACTIVE,
    "正常": EntityStatus.ACTIVE,
    "revoked": EntityStatus.REVOKED,
    "吊销": EntityStatus.REVOKED,
    "cancelled": EntityStatus.CANCELLED,
    "注销": EntityStatus.CANCELLED,
}


@dataclass(frozen=True)
class ImportProgress:
    """Where an import is: ``done`` of ``total`` rows (``total`` is unknown while the
    first pass runs)."""

    phase: Literal["validate", "write"]
    done: int
    total: int | None


ProgressCallback = Callable[[ImportProgress], None]


@dataclass(frozen=True)
class ImportReport:
    rows: int
    inserted: int
    updated: int
    unchanged: int


def import_persons(
    db: Database,
    cipher: PersonalDataCipher,
    path: Path,
    *,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Validate and upsert ``persons.csv``; ``now`` stamps rows and bounds birth dates."""
    today = now.date()

    def parse(row: dict[str, str]) -> tuple[str, dict[str, Any]]:
        name = _name(row["name"], "name")
        doc = parse_document(
            row.get("id_type") or DocumentType.RESIDENT_ID, row["id_number"], today=today
        )
        key = cipher.lookup_hash(ID_NUMBER_PURPOSE, doc.lookup_value)
        return key, {"id_hash": key, "name": name}

    return _run(db, path, _PERSON_COLUMNS, parse, RegistryPerson, "id_hash", now, progress)


def import_entities(
    db: Database,
    path: Path,
    *,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Validate and upsert ``entities.csv``; ``now`` stamps the rows."""

    def parse(row: dict[str, str]) -> tuple[str, dict[str, Any]]:
        code = parse_credit_code(row["uscc"]).code
        status_text = (row.get("status") or "active").strip()
        status = _STATUS_WORDS.get(status_text.casefold())
        if status is None:
            accepted = "active, revoked, cancelled, 存续, 在业, 吊销, 注销"
            raise ValueError(f"status {status_text[:20]!r} is not one of {accepted}")
        return code, {
            "credit_code": code,
            "name": _name(row["name"], "name", limit=200),
            "legal_representative_name": _name(row["legal_representative"], "legal_representative"),
            "status": status.value,
        }

    return _run(db, path, _ENTITY_COLUMNS, parse, RegistryEntity, "credit_code", now, progress)


def prune_stale_persons(db: Database, cipher: PersonalDataCipher) -> int:
    """Delete persons hashed under a master key other than the primary one (after a
    rotation, once the files were imported again); return how many went."""
    current = f"{HASH_PREFIX}{cipher.primary_key_id}.%"
    with db.transaction() as session:
        result = session.execute(
            delete(RegistryPerson).where(RegistryPerson.id_hash.not_like(current))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


Parser = Callable[[dict[str, str]], tuple[str, dict[str, Any]]]


def _run(
    db: Database,
    path: Path,
    columns: dict[str, tuple[str, ...]],
    parse: Parser,
    model: type[RegistryPerson] | type[RegistryEntity],
    key_column: str,
    now: datetime,
    progress: ProgressCallback | None,
) -> ImportReport:
    report = progress or (lambda _p: None)
    problems: list[RowProblem] = []
    bad_rows = 0
    first_line: dict[str, int] = {}
    rows = 0
    for line, row in _rows(path, columns):
        rows += 1
        try:
            key, _values = parse(row)
        except (TongbanError, ValueError) as exc:
            bad_rows += 1
            message = exc.message if isinstance(exc, TongbanError) else str(exc)
            if len(problems) < MAX_PROBLEMS:
                problems.append(RowProblem(line, message))
        else:
            if key in first_line:
                bad_rows += 1
                if len(problems) < MAX_PROBLEMS:
                    problems.append(RowProblem(line, f"same record as line {first_line[key]}"))
            else:
                first_line[key] = line
        if rows % BATCH == 0:
            report(ImportProgress("validate", rows, None))
    report(ImportProgress("validate", rows, None))
    if bad_rows:
        shown = "; ".join(str(p) for p in problems[:20])
        more = f" (and {bad_rows - 20} more)" if bad_rows > 20 else ""
        raise RegistryImportInvalid(
            f"{path.name}: {bad_rows} bad row(s), nothing was imported: {shown}{more}",
            problems=tuple(problems),
            bad_rows=bad_rows,
        )
    first_line.clear()

    inserted = updated = done = 0
    with db.transaction() as session:
        batch: list[dict[str, Any]] = []
        for _line, row in _rows(path, columns):
            batch.append(parse(row)[1] | {"updated_at": now})
            if len(batch) == BATCH:
                added, changed = _upsert(session, model, key_column, batch)
                inserted, updated, done = inserted + added, updated + changed, done + len(batch)
                batch = []
                report(ImportProgress("write", done, rows))
        if batch:
            added, changed = _upsert(session, model, key_column, batch)
            inserted, updated, done = inserted + added, updated + changed, done + len(batch)
    report(ImportProgress("write", done, rows))
    return ImportReport(rows, inserted, updated, rows - inserted - updated)


def _upsert(
    session: Session,
    model: type[RegistryPerson] | type[RegistryEntity],
    key_column: str,
    batch: list[dict[str, Any]],
) -> tuple[int, int]:
    table = model.__table__
    key = table.c[key_column]
    compared = [c.name for c in table.columns if c.name not in (key_column, "updated_at")]
    existing = {
        row[0]: tuple(row[1:])
        for row in session.execute(
            select(key, *(table.c[c] for c in compared)).where(
                key.in_([values[key_column] for values in batch])
            )
        )
    }
    new = [v for v in batch if v[key_column] not in existing]
    changed = [
        v
        for v in batch
        if v[key_column] in existing and existing[v[key_column]] != tuple(v[c] for c in compared)
    ]
    if new:
        session.execute(insert(model), new)
    if changed:
        session.execute(update(model), changed)
    return len(new), len(changed)


def _rows(path: Path, columns: dict[str, tuple[str, ...]]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by canonical column name) for every data row of ``path``."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise RegistryImportInvalid(f"{path.name} is empty; it needs a header row")
            names = _map_header(path, header, columns)
            line = reader.line_num
            for record in reader:
                start, line = line + 1, reader.line_num
                if not any(field.strip() for field in record):
                    continue
                if len(record) != len(names):
                    raise _row_error(
                        path, start, f"{len(record)} fields, but the header has {len(names)}"
                    )
                yield (
                    start,
                    {name: value for name, value in zip(names, record, strict=True) if name},
                )
    except UnicodeDecodeError:
        raise _row_error(path, _bad_utf8_line(path), "not UTF-8 text") from None
    except csv.Error as exc:
        raise RegistryImportInvalid(f"{path.name} is not valid CSV: {exc}") from None
    except OSError as exc:
        raise RegistryImportInvalid(f"{path} cannot be read: {exc.strerror}") from None


def _map_header(path: Path, header: list[str], columns: dict[str, tuple[str, ...]]) -> list[str]:
    aliases = {alias.casefold(): name for name, known in columns.items() for alias in known}
    names: list[str] = []
    for title in header:
        name = aliases.get(title.strip().casefold())
        if name is None:
            expected = ", ".join(known[0] for known in columns.values())
            raise RegistryImportInvalid(
                f"{path.name}, line 1: unknown column {title.strip()[:40]!r}; columns are "
                f"{expected}"
            )
        if name in names:
            raise RegistryImportInvalid(f"{path.name}, line 1: column {name} appears twice")
        names.append(name)
    optional = {"id_type", "status"}
    missing = [name for name in columns if name not in names and name not in optional]
    if missing:
        raise RegistryImportInvalid(f"{path.name}, line 1: missing column(s) {', '.join(missing)}")
    return names


def _name(value: str, column: str, *, limit: int = MAX_NAME_LENGTH) -> str:
    name = normalise_name(value)
    if not name:
        raise ValueError(f"{column} is empty")
    if len(name) > limit:
        raise ValueError(f"{column} is longer than {limit} characters")
    if any(not ch.isprintable() for ch in name):
        raise ValueError(f"{column} holds control characters")
    return name


def _row_error(path: Path, line: int, message: str) -> RegistryImportInvalid:
    problem = RowProblem(line, message)
    return RegistryImportInvalid(
        f"{path.name}: {problem}; nothing was imported", problems=(problem,)
    )


def _bad_utf8_line(path: Path) -> int:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0
