"""Stamp a PDF with a stored seal: stampers built once per seal, B-LT material cached.

A :class:`~signing.pades.SealStamper` parses the seal picture, sizes the signature and
keeps its timestamper once; building it per document would cost more than the stamp.
Stampers are cached per seal and rebuilt when the seal's row changes (new certificate,
new status). The validation material (CRLs, a fresh OCSP answer for the seal) is
reused for a few minutes: it is evidence that the seal was good, and a seal that stops
being good is refused before any stamp by its status, read in the same transaction
that records the stamp.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from config.settings import SigningSettings
from signing.ca import InternalCA
from signing.models import SealRecord
from signing.pades import AtAnchor
from signing.pades import AtPosition
from signing.pades import Placement
from signing.pades import SealStamper
from signing.pades import ValidationMaterial
from signing.seal_image import SealImage
from signing.seals import Seals

__all__ = ["Stamping", "placement_from"]

#: How long the B-LT material for one seal is reused (the OCSP answer is valid a day).
MATERIAL_SECONDS: Final = 600.0
_MAX_STAMPERS: Final = 256


@dataclass
class _Entry:
    version: tuple[str, str | None, datetime]
    stamper: SealStamper
    material: ValidationMaterial | None = None
    material_expires: float = 0.0


def placement_from(value: dict[str, object] | None, default_anchor: str = "seal-1") -> Placement:
    """A placement from its stored form: ``{"anchor": name}`` or ``{"page", "x", "y"}``.

    Pages are counted from 1 here, as people and the API count them.
    """
    if not value:
        return AtAnchor(default_anchor)
    if "anchor" in value:
        return AtAnchor(str(value["anchor"]))
    page, x, y = value["page"], value["x"], value["y"]
    if (
        not isinstance(page, int)
        or not isinstance(x, int | float)
        or not isinstance(y, int | float)
    ):
        raise TypeError("placement needs an integer page and numbers x, y")
    return AtPosition(page - 1, float(x), float(y))


class Stamping:
    """Stamps with stored seals; one per process, shared by requests and workers."""

    def __init__(self, seals: Seals, ca: InternalCA, settings: SigningSettings) -> None:
        self._seals = seals
        self._ca = ca
        self._settings = settings
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def stamp(
        self, record: SealRecord, pdf: bytes, placement: Placement | None, *, now: datetime
    ) -> bytes:
        """Stamp ``pdf`` with the seal of ``record`` (already checked to be usable)."""
        entry = self._entry(record)
        material = entry.material
        if material is None or entry.material_expires <= time.monotonic():
            stamper = entry.stamper
            material = self._ca.validation_material(
                stamper.credentials.certificate, stamper.credentials.chain, now
            )
            entry.material = material
            entry.material_expires = time.monotonic() + MATERIAL_SECONDS
        return entry.stamper.stamp(pdf, placement, now=now, validation=material)

    def forget(self, seal_id: str | None = None) -> None:
        """Drop cached stampers (all, or one seal's)."""
        with self._lock:
            if seal_id is None:
                self._entries.clear()
            else:
                self._entries.pop(seal_id, None)

    def _entry(self, record: SealRecord) -> _Entry:
        version = (record.kid, record.certificate_serial, record.updated_at)
        with self._lock:
            entry = self._entries.get(record.id)
            if entry is not None and entry.version == version:
                self._entries.move_to_end(record.id)
                return entry
        image = SealImage(record.image_pdf, record.image_width_mm, record.image_height_mm)
        stamper = SealStamper(
            self._seals.credentials(record),
            image,
            self._ca.timestamp_client(),
            reason=self._settings.reason or None,
            location=self._settings.location or None,
            max_input_bytes=self._settings.max_pdf_bytes,
        )
        entry = _Entry(version, stamper)
        with self._lock:
            self._entries[record.id] = entry
            while len(self._entries) > _MAX_STAMPERS:
                self._entries.popitem(last=False)
        return entry
