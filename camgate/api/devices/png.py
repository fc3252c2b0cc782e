"""A minimal PNG encoder (RGB, 8 bits, no filter) with nothing but zlib and struct.

Enough for the simulated cameras' snapshots; the format is the PNG specification's §5 (signature
and chunks) and §11.2.2 (IHDR).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_rgb(width: int, height: int, rows: Iterable[bytes]) -> bytes:
    """A PNG of ``height`` rows, each ``3 * width`` bytes of RGB."""
    raw = bytearray()
    count = 0
    for row in rows:
        if len(row) != 3 * width:
            raise ValueError("every row must hold 3 bytes per pixel")
        raw += b"\x00" + row  # filter type 0 (None) before each scanline
        count += 1
    if count != height:
        raise ValueError("wrong number of rows")
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + _chunk(b"IEND", b"")
