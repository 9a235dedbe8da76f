"""Pillow plugin: ``Image.open("x.pzp")`` and ``img.save("x.pzp")``.

    import pzp.pillow          # registers the plugin (pzp.pillow.register() does it again)
    from PIL import Image

    with Image.open("movie.pzp") as im:
        im.n_frames, im.info["duration"], im.info["loop"]
        im.seek(10); im.load()
    im.save("copy.pzp", use_rle=True)
    frames[0].save("anim.pzp", save_all=True, append_images=frames[1:], duration=40, loop=0)

Modes: L (8-bit gray), LA, RGB, RGBA (8-bit), I;16 (16-bit gray). 16-bit
images with 2 to 4 channels have no Pillow mode; read them with ``pzp.read``.
Modelled on Pillow's QoiImagePlugin (magic check, SyntaxError for other data)
and WebPImagePlugin (whole frames decoded by the codec, then a raw tile).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from io import BytesIO
from typing import IO

from PIL import Image, ImageFile

from ._container import Container, ContainerWriter
from ._errors import PZPError
from ._image import encode

FORMAT = "PZP"
MIME = "image/x-pzp"
_MAGIC = b"0PZP"  # the container magic 0x505A5030 as stored (little-endian)

_NATIVE_16 = "I;16" if sys.byteorder == "little" else "I;16B"
# (bits, channels) -> (Pillow mode, raw mode of the decoded numpy bytes)
_MODES = {
    (8, 1): ("L", "L"),
    (8, 2): ("LA", "LA"),
    (8, 3): ("RGB", "RGB"),
    (8, 4): ("RGBA", "RGBA"),
    (16, 1): ("I;16", _NATIVE_16),
}


def _accept(prefix: bytes) -> bool:
    return prefix[:4] == _MAGIC


class PzpImageFile(ImageFile.ImageFile):
    format = FORMAT
    format_description = "PZP lossless image"

    def _open(self) -> None:
        assert self.fp is not None
        if not _accept(self.fp.read(4)):
            msg = "not a PZP file"
            raise SyntaxError(msg)
        try:
            if self.filename and os.path.isfile(self.filename):
                self._container = Container(self.filename)  # frames read on demand
            else:
                self.fp.seek(0)
                self._container = Container.from_bytes(self.fp.read(), name="<stream>")
            self._container.frame_info(0)
        except PZPError as e:
            # A damaged header or index: like any plugin's broken header, so Image.open
            # reports "cannot identify image file" (and other plugins get their turn).
            msg = f"broken PZP file: {e}"
            raise SyntaxError(msg) from e
        self.n_frames = len(self._container)
        self.is_animated = self.n_frames > 1
        self.info["loop"] = self._container.loop_count
        metadata = self._container.metadata
        if metadata is not None:
            self.info["metadata"] = metadata
        self._delays = self._container.delays
        self.__frame = -1
        self.__loaded = -1
        self._seek(0)

    def _seek(self, frame: int) -> None:
        try:
            info = self._container.frame_info(frame)  # headers only; cached by the container
        except PZPError as e:
            msg = f"cannot read frame {frame} of the PZP file: {e}"
            raise OSError(msg) from e
        layout = _MODES.get((info["bpp"], info["channels"]))
        if layout is None:
            # A valid PZP file Pillow cannot hold: say so rather than "cannot identify".
            msg = (f"a {info['bpp']}-bit {info['channels']}-channel PZP frame has no Pillow mode; "
                   "read it with pzp.read")
            raise OSError(msg)
        self._mode, self.rawmode = layout
        self._size = (info["width"], info["height"])
        self.info["duration"] = self._delays[frame]
        self.__frame = frame
        self.tile = []

    def seek(self, frame: int) -> None:
        if not self._seek_check(frame):
            return
        self._seek(frame)

    def tell(self) -> int:
        return self.__frame

    def load(self):
        if self.__loaded != self.__frame:
            try:
                pixels = self._container.read(self.__frame)
            except PZPError as e:
                msg = f"cannot decode frame {self.__frame} of the PZP file: {e}"
                raise OSError(msg) from e
            self.__loaded = self.__frame
            # The container holds the file's bytes: the decoded frame becomes the
            # file Pillow reads a raw tile from (as WebPImagePlugin does).
            if self.fp and self._exclusive_fp:
                self.fp.close()
            self.fp = BytesIO(pixels.tobytes())
            self.tile = [ImageFile._Tile("raw", (0, 0, *self.size), 0, self.rawmode)]
        return super().load()

    def load_seek(self, pos: int) -> None:
        pass  # also keeps Pillow from memory-mapping the .pzp file as raw pixels

    def _close_fp(self) -> None:
        container = getattr(self, "_container", None)
        if container is not None:
            container.close()
        super()._close_fp()


# ---- saving ------------------------------------------------------------------------------


def _to_array(im: Image.Image):
    """The frame's pixels as a uint8/uint16 numpy array PZP can store losslessly."""
    import numpy as np

    mode = im.mode
    if mode in ("1", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "RGBX", "RGBa", "La"):
        target = {"1": "L", "La": "LA", "RGBX": "RGB", "CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB",
                  "HSV": "RGB"}.get(mode)
        if target is None:  # palette images keep their transparency
            target = "RGBA" if mode in ("PA", "RGBa") or "transparency" in im.info else "RGB"
        im = im.convert(target)
        mode = target
    if mode in ("L", "LA", "RGB", "RGBA"):
        return np.asarray(im)
    if mode.startswith("I;16"):
        return np.asarray(im).astype(np.uint16)
    if mode == "I":
        a = np.asarray(im)
        if a.size and (a.min() < 0 or a.max() > 0xFFFF):
            msg = "cannot write mode I as PZP: values outside 0..65535"
            raise OSError(msg)
        return a.astype(np.uint16)
    msg = f"cannot write mode {mode} as PZP"
    raise OSError(msg)


def _flag_options(encoderinfo: dict) -> dict:
    """use_rle (default True: the left/gradient predictor), use_palette, use_lz4, level."""
    options = {"use_rle": bool(encoderinfo.get("use_rle", True)),
               "use_palette": bool(encoderinfo.get("use_palette", False)),
               "use_lz4": bool(encoderinfo.get("use_lz4", False))}
    if encoderinfo.get("level") is not None:
        options["level"] = int(encoderinfo["level"])
    return options


def _save(im: Image.Image, fp: IO[bytes], filename: str | bytes) -> None:
    """One image, written as the reference writes single images."""
    try:
        data = encode(_to_array(im), **_flag_options(im.encoderinfo))
    except (PZPError, ValueError, TypeError) as e:
        msg = f"cannot write PZP: {e}"
        raise OSError(msg) from e
    fp.write(data)


def _frames(im: Image.Image, append_images: list):
    for image in [im, *append_images]:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            yield image


def _save_all(im: Image.Image, fp: IO[bytes], filename: str | bytes) -> None:
    """A container: every frame of ``im`` and of ``append_images``, with
    ``duration`` (ms, one or per frame), ``loop`` (0 = forever; default 0),
    ``use_inter_delta`` and the flags of :func:`_save`."""
    encoderinfo = im.encoderinfo.copy()
    append_images = list(encoderinfo.get("append_images", []))
    total = sum(getattr(image, "n_frames", 1) for image in [im, *append_images])
    if total == 1 and "duration" not in encoderinfo and "loop" not in encoderinfo:
        _save(im, fp, filename)
        return
    duration = encoderinfo.get("duration", im.info.get("duration", 0))
    loop = encoderinfo.get("loop", 0)
    options = _flag_options(encoderinfo)
    options["use_inter_delta"] = bool(encoderinfo.get("use_inter_delta", False))
    current = im.tell()
    folder = tempfile.mkdtemp(prefix="pzp-pillow-")
    try:
        path = os.path.join(folder, "frames.pzp")
        with ContainerWriter(path, loop_count=int(loop), durable=False, **options) as writer:
            for n, frame in enumerate(_frames(im, append_images)):
                delay = duration[n] if isinstance(duration, (list, tuple)) else duration
                writer.append(_to_array(frame), round(delay or 0))
        with open(path, "rb") as f:
            shutil.copyfileobj(f, fp)
    except (PZPError, ValueError, TypeError) as e:
        msg = f"cannot write PZP: {e}"
        raise OSError(msg) from e
    finally:
        im.seek(current)
        shutil.rmtree(folder, ignore_errors=True)


def register() -> None:
    """Registers the PZP plugin with Pillow (idempotent)."""
    Image.register_open(PzpImageFile.format, PzpImageFile, _accept)
    Image.register_save(PzpImageFile.format, _save)
    Image.register_save_all(PzpImageFile.format, _save_all)
    Image.register_extension(PzpImageFile.format, ".pzp")
    Image.register_mime(PzpImageFile.format, MIME)


register()
