"""The code examples of the seed document (tests/data/seed-python-api.md, a copy
of the API the project was started from). Its code lost its fences when it was
captured, so each example is cut out between its exact first and last lines:
if the document changes, the extraction fails instead of silently testing less."""

from __future__ import annotations

from pathlib import Path

SEED = Path(__file__).resolve().parent / "data" / "seed-python-api.md"


def block(first: str, last: str) -> str:
    lines = SEED.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == first)
    end = next(i for i in range(start, len(lines)) if lines[i].strip() == last)
    return "\n".join(lines[start : end + 1]) + "\n"


READ_EXAMPLE = ('import pzp', 'print("LZ4 codec")')
WRITE_EXAMPLE = ('import pzp', 'pzp.write("out.pzp", img, configuration=pzp.USE_COMPRESSION | pzp.USE_RLE)')
NO_NUMPY_DICT = ("{", "}")
WRITE_CONTAINER_EXAMPLE = ("import PZP", "metadata=b'{\"source\":\"cam0\",\"fps\":25}')")
READ_CONTAINER_EXAMPLE = ("import PZP", "meta       = PZP.get_metadata(\"anim.pzp\")      # bytes or None")
THREAD_EXAMPLE = ("import PZP", "worker_init_fn=lambda _: PZP.thread_init())")
CONSTANTS = ("pzp.USE_COMPRESSION  # = 1   always active", 'pzp.AUDIO_FLAC       # = 0x464C4143  "FLAC"')


def example(bounds: tuple, after: str | None = None) -> str:
    """The block between bounds; with after, the first such block after that line."""
    if after is None:
        return block(*bounds)
    lines = SEED.read_text().splitlines()
    skip = next(i for i, line in enumerate(lines) if line.strip() == after)
    text = "\n".join(lines[skip:])
    start = text.index("\n" + bounds[0]) + 1
    end = text.index(bounds[1], start) + len(bounds[1])
    return text[start:end] + "\n"
