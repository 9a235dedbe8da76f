"""The Pillow plugin (pzp.pillow), after Pillow's own tests of its QOI and WebP
plugins: sanity, invalid file, truncation at every length, save round trips,
frames and durations."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
cv2 = pytest.importorskip("cv2")
PIL = pytest.importorskip("PIL")
from PIL import Image, ImageSequence, UnidentifiedImageError  # noqa: E402

import pzp  # noqa: E402
import pzp.pillow  # noqa: E402
from pzp.pillow import PzpImageFile  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "convert"


def read_png(path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image.ndim == 3:
        image = image[:, :, [2, 1, 0, 3][: image.shape[2]]]
    return image


REAL = {
    "RGB": read_png(DATA / "vtest_rgb" / "00002.png"),
    "RGBA": read_png(DATA / "rgba_konqueror.png"),
    "L": read_png(DATA / "gray_camera.png"),
    "I;16": read_png(DATA / "depth16_motorcycle.png"),
    "LA": np.dstack([read_png(DATA / "gray_camera.png"), read_png(DATA / "rgba_konqueror.png")[:, :, 3]]),
}


def sequence() -> list:
    return [read_png(p) for p in sorted((DATA / "vtest_rgb").glob("*.png"))]


@pytest.mark.parametrize("mode", sorted(REAL))
def test_sanity(tmp_path, mode):
    path = tmp_path / "image.pzp"
    pzp.write(path, REAL[mode], use_rle=True)
    with Image.open(path) as im:
        assert im.format == "PZP"
        assert im.mode == mode
        assert im.size == (REAL[mode].shape[1], REAL[mode].shape[0])
        assert im.n_frames == 1 and not im.is_animated
        assert im.info["loop"] == 1 and im.info["duration"] == 0
        im.load()
        assert np.array_equal(np.asarray(im), REAL[mode])
    assert Image.MIME["PZP"] == "image/x-pzp"
    assert Image.registered_extensions()[".pzp"] == "PZP"


def test_open_from_a_file_object_and_bytes(tmp_path):
    data = pzp.encode(REAL["RGB"], use_rle=True)
    with Image.open(BytesIO(data)) as im:
        assert np.array_equal(np.asarray(im), REAL["RGB"])
    path = tmp_path / "image.pzp"
    path.write_bytes(data)
    with open(path, "rb") as f, Image.open(f) as im:
        assert np.array_equal(np.asarray(im), REAL["RGB"])


def test_invalid_file(tmp_path):
    png = DATA / "gray_camera.png"
    with pytest.raises(SyntaxError):
        PzpImageFile(png)
    # Other plugins still get their turn: PNG opens as PNG with the PZP plugin registered.
    with Image.open(png) as im:
        assert im.format == "PNG"
    with pytest.raises(UnidentifiedImageError):
        Image.open(BytesIO(b"not an image at all" * 4))


def test_truncated_at_every_length():
    data = pzp.encode(REAL["L"][:40, :48], use_rle=True)
    for length in range(len(data)):
        with pytest.raises(UnidentifiedImageError):
            Image.open(BytesIO(data[:length]))
    with Image.open(BytesIO(data)) as im:
        assert np.array_equal(np.asarray(im), REAL["L"][:40, :48])


def test_truncated_container_at_every_length(tmp_path):
    """Cut before the end of frame 0: not identified. Cut later: the whole
    frames still read (as Pillow reads the first frames of a cut GIF) and the
    cut one raises OSError."""
    path = tmp_path / "seq.pzp"
    frames = [f[:32, :40] for f in sequence()[:3]]
    pzp.write_container(path, frames, delays=[40] * 3, use_rle=True)
    data = path.read_bytes()
    with pzp.open(path) as c:
        ends = [c.frame_info(k)["offset"] + c.frame_info(k)["compressed_bytes"] for k in range(3)]
    for length in range(len(data)):
        if length < ends[0]:
            with pytest.raises(UnidentifiedImageError):
                Image.open(BytesIO(data[:length]))
            continue
        with Image.open(BytesIO(data[:length])) as im:
            assert im.n_frames == 3
            whole = sum(end <= length for end in ends)
            for k in range(whole):
                im.seek(k)
                assert np.array_equal(np.asarray(im), frames[k])
            with pytest.raises(OSError):
                im.seek(whole)
                im.load()


def test_a_damaged_frame_fails_at_seek_with_oserror(tmp_path):
    path = tmp_path / "seq.pzp"
    pzp.write_container(path, sequence()[:2], use_rle=True)
    data = bytearray(path.read_bytes())
    with pzp.open(path) as c:
        second = c.frame_info(1)["offset"]
    data[second + 4 :] = bytes(len(data) - second - 4)  # frame 1's payload zeroed, the index intact
    with Image.open(BytesIO(bytes(data))) as im:
        assert np.array_equal(np.asarray(im), sequence()[0])
        with pytest.raises(OSError, match="frame 1"):
            im.seek(1)
            im.load()


def test_16bit_colour_has_no_pillow_mode(tmp_path):
    path = tmp_path / "deep.pzp"
    pzp.write(path, np.dstack([REAL["I;16"]] * 3))
    with pytest.raises(OSError, match=r"pzp\.read"):
        Image.open(path)


def test_frames_seek_and_durations(tmp_path):
    frames = sequence()
    delays = [40, 50, 60, 70, 80, 90, 100, 110]
    path = tmp_path / "seq.pzp"
    pzp.write_container(path, frames, delays=delays, loop_count=3, use_rle=True, use_inter_delta=True)
    with Image.open(path) as im:
        assert im.n_frames == 8 and im.is_animated
        assert im.info["loop"] == 3
        for k in (5, 2, 7, 0):  # backwards too: the container reads any frame
            im.seek(k)
            assert im.tell() == k
            assert im.info["duration"] == delays[k]
            assert np.array_equal(np.asarray(im), frames[k])
        with pytest.raises(EOFError):
            im.seek(8)
        seen = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
    assert len(seen) == 8 and all(np.array_equal(a, b) for a, b in zip(seen, frames))


@pytest.mark.parametrize("mode", sorted(REAL))
def test_save_round_trip(tmp_path, mode):
    image = Image.fromarray(REAL[mode])
    assert image.mode == mode
    path = tmp_path / "saved.pzp"
    image.save(path)
    assert np.array_equal(pzp.read(path), REAL[mode])
    with Image.open(path) as reloaded:
        assert reloaded.mode == image.mode
        assert np.array_equal(np.asarray(reloaded), np.asarray(image))
    buffer = BytesIO()
    image.save(buffer, format="PZP", use_palette=True, use_lz4=True)
    assert np.array_equal(pzp.decode(buffer.getvalue()), REAL[mode])
    assert pzp.decode(buffer.getvalue(), return_flags=True)[1] & (pzp.USE_PALETTE | pzp.USE_LZ4)


def test_save_converts_modes_without_a_pzp_layout(tmp_path):
    labels = read_png(DATA / "label_voc_class.png")
    palette = Image.frombytes("P", labels.shape[::-1], labels.tobytes())
    palette.putpalette(bytes((37 * k) % 256 for k in range(768)))
    palette.save(tmp_path / "p.pzp")
    expected = np.array([(37 * k) % 256 for k in range(768)], np.uint8).reshape(256, 3)[labels]
    assert np.array_equal(pzp.read(tmp_path / "p.pzp"), expected)
    wide = Image.fromarray(REAL["I;16"].astype(np.int32))  # mode I with 16-bit values
    wide.save(tmp_path / "i.pzp")
    assert np.array_equal(pzp.read(tmp_path / "i.pzp"), REAL["I;16"])
    with pytest.raises(OSError, match=r"0\.\.65535"):
        Image.fromarray(REAL["I;16"].astype(np.int32) * 8).save(tmp_path / "bad.pzp")
    with pytest.raises(OSError):
        Image.fromarray(REAL["L"].astype(np.float32)).save(tmp_path / "f.pzp")


def test_save_all_round_trip(tmp_path):
    frames = sequence()
    images = [Image.fromarray(f) for f in frames]
    path = tmp_path / "anim.pzp"
    images[0].save(path, save_all=True, append_images=images[1:], duration=[40, 41, 42, 43, 44, 45, 46, 47],
                   loop=2, use_inter_delta=True)
    with pzp.open(path) as c:
        assert len(c) == 8
        assert c.delays == [40, 41, 42, 43, 44, 45, 46, 47]
        assert c.loop_count == 2
        assert c.frame_info(1)["is_delta"]
        assert all(np.array_equal(c[k], frames[k]) for k in range(8))
    # a multi-frame image as the source, with one duration for all frames
    with Image.open(path) as im:
        im.save(tmp_path / "copy.pzp", save_all=True, duration=25)
    assert pzp.get_delays(tmp_path / "copy.pzp") == [25] * 8
    assert all(np.array_equal(a, b) for a, b in zip(pzp.read_frames(tmp_path / "copy.pzp"), frames))


def test_save_all_of_one_frame_is_a_single_image(tmp_path):
    Image.fromarray(REAL["L"]).save(tmp_path / "one.pzp", save_all=True)
    assert (tmp_path / "one.pzp").read_bytes() == pzp.encode(REAL["L"], use_rle=True)


def test_register_is_idempotent():
    pzp.pillow.register()
    pzp.pillow.register()
    assert sum(1 for name in Image.ID if name == "PZP") == 1


def test_container_from_bytes_and_pickle():
    import pickle

    data = pzp.encode(REAL["RGBA"])
    with pzp.Container.from_bytes(bytearray(data)) as c:
        assert np.array_equal(c[0], REAL["RGBA"])
        again = pickle.loads(pickle.dumps(c))
        assert np.array_equal(again[0], REAL["RGBA"])
    with pytest.raises(pzp.PZPError, match="<memory>"):
        pzp.Container.from_bytes(data[:30])
