"""A fast QR encoder (ISO/IEC 18004) for byte and numeric segments: rows as Python integers.

python-qrcode builds the whole symbol eight times, module by module, to pick a mask, which
costs ~50 ms for a version-14 licence code; issuance must render a code in a few
milliseconds. This module produces the *same* symbol as python-qrcode (same version, data
codewords, placement, mask choice and format bits; a test compares them module for module)
but keeps each row and column as an integer, so masking is one XOR a row and the penalty
rules of §7.8.3.1 are a handful of shifts and ``bit_count`` calls per line.

Like python-qrcode, the mask is chosen with the format and version areas left light
(python-qrcode's "test" pass); every mask yields a valid symbol, so this only decides which
of eight equally decodable symbols is drawn, and keeps our symbols identical to its own.

Tables that are plain data (block structure, alignment positions, BCH codes) come from
python-qrcode.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from collections.abc import Sequence
from functools import lru_cache
from typing import Final
from typing import Literal

import qrcode.base
import qrcode.constants
import qrcode.util

Mode = Literal["byte", "numeric"]

_LEVEL_BITS: Final = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
_MODE_INDICATOR: Final = {"numeric": "0001", "byte": "0100"}


def _count_bits(mode: Mode, version: int) -> int:
    """Bits of the character count indicator (§7.4.1, Table 3)."""
    if mode == "numeric":
        return 10 if version < 10 else 12 if version < 27 else 14
    return 8 if version < 10 else 16


def _segment_bits(mode: Mode, data: bytes, version: int) -> str:
    count = len(data)
    bits = [_MODE_INDICATOR[mode], format(count, f"0{_count_bits(mode, version)}b")]
    if mode == "numeric":
        for start in range(0, count, 3):
            group = data[start : start + 3]
            bits.append(format(int(group), f"0{len(group) * 3 + 1}b"))  # 10, 7 or 4 bits.
    else:
        bits.append("".join(format(byte, "08b") for byte in data))
    return "".join(bits)


@lru_cache(maxsize=160)
def _blocks(version: int, level: str) -> tuple[tuple[int, int], ...]:
    """(total codewords, data codewords) of each error-correction block (§7.5.1, Table 9)."""
    return tuple(
        (block.total_count, block.data_count)
        for block in qrcode.base.rs_blocks(version, _LEVEL_BITS[level])
    )


def _data_capacity(version: int, level: str) -> int:
    return sum(data for _, data in _blocks(version, level))


def _bit_length(mode: Mode, count: int, version: int) -> int:
    data = 8 * count if mode == "byte" else 10 * (count // 3) + (0, 4, 7)[count % 3]
    return 4 + _count_bits(mode, version) + data


def fit_version(
    segments: Sequence[tuple[Mode, bytes]], level: str, max_version: int = 40
) -> tuple[int, str]:
    """The smallest version (≤ ``max_version``) holding the segments, and their bit string.

    :raises ValueError: if none does.
    """
    for version in range(1, max_version + 1):
        needed = sum(_bit_length(mode, len(data), version) for mode, data in segments)
        if needed <= _data_capacity(version, level) * 8:
            return version, "".join(_segment_bits(mode, data, version) for mode, data in segments)
    raise ValueError(f"the data does not fit in QR version {max_version} at level {level}")


# GF(256) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), §7.5.2.
_EXP: Final = [0] * 512
_LOG: Final = [0] * 256
_value = 1
for _power in range(255):
    _EXP[_power] = _value
    _LOG[_value] = _power
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D
for _power in range(255, 512):
    _EXP[_power] = _EXP[_power - 255]


@lru_cache(maxsize=32)
def _generator_logs(degree: int) -> tuple[int, ...]:
    """Logs of the generator polynomial's coefficients after the leading 1 (§7.5.2)."""
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, coefficient in enumerate(poly):
            nxt[j] ^= coefficient
            if coefficient:
                nxt[j + 1] ^= _EXP[_LOG[coefficient] + i]
        poly = nxt
    return tuple(_LOG[c] for c in poly[1:])


def _ecc(data: Sequence[int], degree: int) -> list[int]:
    generator = _generator_logs(degree)
    remainder = [0] * degree
    for byte in data:
        factor = byte ^ remainder[0]
        del remainder[0]
        remainder.append(0)
        if factor:
            log_factor = _LOG[factor]
            for i, log_g in enumerate(generator):
                remainder[i] ^= _EXP[log_g + log_factor]
    return remainder


def codewords(bits: str, version: int, level: str) -> list[int]:
    """Data plus error correction codewords, interleaved (§7.4.9–7.4.10, §7.6)."""
    capacity = _data_capacity(version, level)
    bits += "0" * min(4, capacity * 8 - len(bits))  # Terminator.
    bits += "0" * (-len(bits) % 8)
    data = [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]
    data += [(0xEC, 0x11)[i % 2] for i in range(capacity - len(data))]
    data_blocks: list[list[int]] = []
    ecc_blocks: list[list[int]] = []
    offset = 0
    for total, count in _blocks(version, level):
        block = data[offset : offset + count]
        offset += count
        data_blocks.append(block)
        ecc_blocks.append(_ecc(block, total - count))
    result: list[int] = []
    for blocks in (data_blocks, ecc_blocks):
        for i in range(max(map(len, blocks))):
            result.extend(block[i] for block in blocks if i < len(block))
    return result


class _Layout:
    """Function patterns and the data module order of one version (§6.3, §7.7.3)."""

    def __init__(self, version: int) -> None:
        n = version * 4 + 17
        self.size = n
        grid: list[list[bool | None]] = [[None] * n for _ in range(n)]
        for row, col in ((0, 0), (n - 7, 0), (0, n - 7)):
            for r in range(-1, 8):
                for c in range(-1, 8):
                    if 0 <= row + r < n and 0 <= col + c < n:
                        grid[row + r][col + c] = (
                            (0 <= r <= 6 and c in (0, 6))
                            or (0 <= c <= 6 and r in (0, 6))
                            or (2 <= r <= 4 and 2 <= c <= 4)
                        )
        positions = qrcode.util.pattern_position(version)
        for row in positions:
            for col in positions:
                if grid[row][col] is not None:
                    continue
                for r in range(-2, 3):
                    for c in range(-2, 3):
                        grid[row + r][col + c] = r in (-2, 2) or c in (-2, 2) or r == c == 0
        for i in range(8, n - 8):
            if grid[i][6] is None:
                grid[i][6] = i % 2 == 0
            if grid[6][i] is None:
                grid[6][i] = i % 2 == 0
        # Format (and dark module) and version areas are reserved, light while masks are
        # compared, as in python-qrcode.
        self.format_cells = _format_cells(n)
        self.version_cells = _version_cells(n) if version >= 7 else []
        for r, c in [*self.format_cells, (n - 8, 8), *self.version_cells]:
            grid[r][c] = False
        self.base_rows = [_row_int(row) for row in grid]
        self.base_cols = [_row_int([grid[r][c] for r in range(n)]) for c in range(n)]
        free = [[cell is None for cell in row] for row in grid]
        self.order = _data_order(n, free)
        self.free_rows = [_row_int(row) for row in free]
        self.free_cols = [_row_int([free[r][c] for r in range(n)]) for c in range(n)]


def _row_int(cells: Sequence[bool | None]) -> int:
    value = 0
    for i, cell in enumerate(cells):
        if cell:
            value |= 1 << i
    return value


def _format_cells(n: int) -> list[tuple[int, int]]:
    """Cells of the 15 format bits, both copies, in python-qrcode's order (bit 0 first)."""
    vertical = [(i, 8) if i < 6 else (i + 1, 8) if i < 8 else (n - 15 + i, 8) for i in range(15)]
    horizontal = [
        (8, n - i - 1) if i < 8 else (8, 15 - i) if i < 9 else (8, 15 - i - 1) for i in range(15)
    ]
    return vertical + horizontal


def _version_cells(n: int) -> list[tuple[int, int]]:
    """Cells of the 18 version bits, both copies, bit 0 first in each."""
    return [(i // 3, i % 3 + n - 11) for i in range(18)] + [
        (i % 3 + n - 11, i // 3) for i in range(18)
    ]


def _data_order(n: int, free: list[list[bool]]) -> list[tuple[int, int]]:
    """Data module positions in placement order: upwards and downwards in column pairs."""
    order: list[tuple[int, int]] = []
    upward = True
    col = n - 1
    while col > 0:
        if col == 6:
            col -= 1
        rows = range(n - 1, -1, -1) if upward else range(n)
        for row in rows:
            for c in (col, col - 1):
                if free[row][c]:
                    order.append((row, c))
        upward = not upward
        col -= 2
    return order


@lru_cache(maxsize=8)
def _layout(version: int) -> _Layout:
    return _Layout(version)


_MASKS: Final[tuple[Callable[[int, int], bool], ...]] = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)


@lru_cache(maxsize=8)
def _mask_lines(n: int) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """Each mask pattern (§7.8.2, Table 10) as row integers and as column integers."""
    masks = []
    for condition in _MASKS:
        rows = tuple(_row_int([condition(i, j) for j in range(n)]) for i in range(n))
        cols = tuple(_row_int([condition(i, j) for i in range(n)]) for j in range(n))
        masks.append((rows, cols))
    return tuple(masks)


_RUN: Final = re.compile(r"0{5,}|1{5,}")
# The 1:1:3:1:1 finder-like pattern with four light modules on one side (§7.8.3.1, N3),
# as bit k = module k from the start.
_FINDER_LIKE: Final = ((1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0), (0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1))


def _penalty(rows: Sequence[int], cols: Sequence[int], n: int) -> int:
    """The mask penalty of §7.8.3.1 (N1 runs, N2 blocks, N3 finder-like, N4 balance)."""
    full = (1 << n) - 1
    points = 0
    for lines in (rows, cols):
        for line in lines:
            for run in _RUN.findall(format(line, f"0{n}b")):
                points += len(run) - 2
            if n >= 11:
                inverse = ~line & full
                for pattern in _FINDER_LIKE:
                    match = (1 << (n - 10)) - 1
                    for k, dark in enumerate(pattern):
                        match &= (line if dark else inverse) >> k
                    points += 40 * match.bit_count()
    pair_mask = (1 << (n - 1)) - 1
    for upper, lower in itertools.pairwise(rows):
        same = ~(upper ^ lower)
        flat = ~(upper ^ (upper >> 1))
        points += 3 * (same & (same >> 1) & flat & pair_mask).bit_count()
    dark = sum(row.bit_count() for row in rows)
    points += int(abs(dark * 100 / (n * n) - 50) / 5) * 10
    return points


def encode(
    segments: Sequence[tuple[Mode, bytes]], level: str, max_version: int = 40
) -> tuple[int, tuple[tuple[bool, ...], ...]]:
    """The version and module matrix (no quiet zone) of a symbol holding ``segments``."""
    version, bits = fit_version(segments, level, max_version)
    layout = _layout(version)
    n = layout.size
    words = codewords(bits, version, level)
    data_rows = [0] * n
    data_cols = [0] * n
    total_bits = len(words) * 8
    for index, (r, c) in enumerate(layout.order):
        if index < total_bits and (words[index >> 3] >> (7 - (index & 7))) & 1:
            data_rows[r] |= 1 << c
            data_cols[c] |= 1 << r
    best: tuple[int, int, list[int]] | None = None
    for number, (mask_rows, mask_cols) in enumerate(_mask_lines(n)):
        rows = [
            base | (data ^ (mask & free))
            for base, data, mask, free in zip(
                layout.base_rows, data_rows, mask_rows, layout.free_rows, strict=True
            )
        ]
        cols = [
            base | (data ^ (mask & free))
            for base, data, mask, free in zip(
                layout.base_cols, data_cols, mask_cols, layout.free_cols, strict=True
            )
        ]
        points = _penalty(rows, cols, n)
        if best is None or points < best[0]:
            best = (points, number, rows)
    assert best is not None  # noqa: S101 - eight masks were scored.
    _, mask_number, rows = best
    grid = [[bool(row >> c & 1) for c in range(n)] for row in rows]
    format_bits = qrcode.util.BCH_type_info((_LEVEL_BITS[level] << 3) | mask_number)
    for i, (r, c) in enumerate(layout.format_cells):
        grid[r][c] = bool(format_bits >> (i % 15) & 1)
    grid[n - 8][8] = True  # The dark module.
    if layout.version_cells:
        version_bits = qrcode.util.BCH_type_number(version)
        for i, (r, c) in enumerate(layout.version_cells):
            grid[r][c] = bool(version_bits >> (i % 18) & 1)
    return version, tuple(tuple(row) for row in grid)
