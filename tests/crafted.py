"""Hand-made PZP files for the limit, overflow and damage tests.

Payloads are wrapped in zstd frames of raw and RLE blocks, so any header can be
built without a compressor, and a few bytes can declare a payload of a
gigabyte. Layouts follow FORMAT.md (sections 2-5, checksum in section 8).
"""

from __future__ import annotations

import struct

CONTAINER_MAGIC = 0x505A5030  # "PZP0"
FRAME_MAGIC_V0 = 0x505A5030
FRAME_MAGIC_V1 = 0x505A5031
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BLOCK_MAX = 128 * 1024


def checksum(data: bytes) -> int:
    """The format's 32-bit checksum (FORMAT.md section 8), written out independently."""
    lanes = [0x12345678, 0x9ABCDEF0, 0xFEDCBA98, 0x87654321]
    factors = (31, 37, 41, 43)
    for i, byte in enumerate(data):
        k = i % 4
        lanes[k] = ((lanes[k] ^ byte) * factors[k]) & 0xFFFFFFFF
    h0, h1, h2, h3 = lanes
    return ((h0 ^ (h1 >> 3)) + (h2 ^ ((h3 << 5) & 0xFFFFFFFF))) & 0xFFFFFFFF


def _block(kind: int, size: int, body: bytes, last: bool) -> bytes:
    header = int(last) | kind << 1 | size << 3
    return header.to_bytes(3, "little") + body


def zstd_frame(head: bytes, fill_byte: int = 0, fill_count: int = 0) -> bytes:
    """A zstd frame whose content is head (raw blocks) then fill_count copies of
    fill_byte (RLE blocks: 4 bytes per 128 KiB, however much is declared)."""
    size = len(head) + fill_count
    out = bytearray(ZSTD_MAGIC)
    out.append(0xE0)  # single segment, 8-byte content size
    out += struct.pack("<Q", size)
    blocks = []
    for at in range(0, len(head), BLOCK_MAX):
        chunk = head[at : at + BLOCK_MAX]
        blocks.append((0, len(chunk), chunk))
    left = fill_count
    while left > 0:
        n = min(left, BLOCK_MAX)
        blocks.append((1, n, bytes([fill_byte])))
        left -= n
    if not blocks:
        blocks.append((0, 0, b""))
    for k, (kind, n, body) in enumerate(blocks):
        out += _block(kind, n, body, k == len(blocks) - 1)
    return bytes(out)


def frame_header(width: int, height: int, channels: int = 1, bpp: int = 8, configuration: int = 1,
                 channels_internal: int | None = None, pixel_checksum: int = 0, palette_bytes: int = 0,
                 magic: int = FRAME_MAGIC_V1, groups: list | None = None) -> bytes:
    """The 40-byte frame header, plus the group table of a PZP1 frame (default:
    one group of every byte channel, 8-bit, no predictor)."""
    ci = channels * bpp // 8 if channels_internal is None else channels_internal
    out = struct.pack("<10I", magic, bpp, channels, width, height, 8, ci, pixel_checksum, configuration,
                      palette_bytes)
    if magic == FRAME_MAGIC_V1:
        table = groups if groups is not None else [(ci & 0xFF, 8, 0, 0)]
        out += bytes([len(table)]) + b"".join(bytes(g) for g in table)
    return out


def blob(payload_head: bytes, fill_count: int = 0, declared: int | None = None) -> bytes:
    """A frame blob: the 4-byte size prefix, then the payload as a zstd frame."""
    size = len(payload_head) + fill_count if declared is None else declared
    return struct.pack("<I", size) + zstd_frame(payload_head, 0, fill_count)


def container(blobs: list, *, frames: int | None = None, delays: list | None = None, flags: int = 0,
              metadata: tuple | None = None, audio: tuple | None = None, loop: int = 0) -> bytes:
    """A container around blobs. frames may claim another count than len(blobs);
    metadata/audio are (offset, length) pairs written as given (None: absent)."""
    count = len(blobs) if frames is None else frames
    delays = delays or [0] * len(blobs)
    meta_off, meta_len = metadata or (0, 0)
    audio_off, audio_len = audio or (0, 0)
    audio_format = 0x57415645 if audio else 0
    head = struct.pack("<10I", CONTAINER_MAGIC, 1, flags, count, loop, meta_off, meta_len, audio_off, audio_len,
                       audio_format)
    head += struct.pack("<2I", checksum(head), 0)
    offset = 48 + 16 * len(blobs)
    index = b""
    for b, delay in zip(blobs, delays):
        index += struct.pack("<4I", offset, len(b), delay, 0)
        offset += len(b)
    return head + index + b"".join(blobs)


def single(width: int, height: int, pixels: bytes = b"", fill_count: int = 0, **header) -> bytes:
    """A 1-frame container holding one crafted frame."""
    return container([blob(frame_header(width, height, **header) + pixels, fill_count)])
