"""Cover images for an offline demo: a small PNG whose colour is derived from the image path."""

from __future__ import annotations

import hashlib
import struct
import zlib

SIZE = 250


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def cover_png(path: str, size: int = SIZE) -> bytes:
    """A square in two colours picked from `path`, so every album gets its own cover."""
    digest = hashlib.sha256(path.encode()).digest()
    top, bottom = digest[0:3], digest[3:6]
    rows = bytearray()
    for y in range(size):
        colour = top if y < size * 2 // 3 else bottom
        rows += b"\x00" + colour * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )
