"""napari dock widgets: "PZP info" and "PZP flag tuner" (Qt through qtpy).

Both follow the selected layer. The info widget describes the file a layer
came from; the tuner runs every flag setting on the layer's current frame (or
a few sampled frames) in a worker thread, shows a sortable table, and saves
the layer with the setting picked in it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import pzp

from . import tuning
from ._writer import write_layer


def _number_item(value: Any, text: str | None = None) -> QTableWidgetItem:
    """A table cell that sorts by value, not by text."""
    item = QTableWidgetItem()
    item.setData(Qt.ItemDataRole.DisplayRole, value if text is None else text)
    if text is not None:
        item.setData(Qt.ItemDataRole.UserRole, value)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


def _fill_table(table: QTableWidget, headers: list, rows: list) -> None:
    table.setSortingEnabled(False)
    table.clear()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, _number_item(value))
    table.setSortingEnabled(True)
    table.resizeColumnsToContents()


def source_of(layer: Any) -> str | None:
    """The .pzp file a layer was read from, if it still exists."""
    info = (getattr(layer, "metadata", None) or {}).get("pzp") or {}
    source = info.get("source")
    return source if source and os.path.isfile(source) else None


class PZPInfoWidget(QWidget):
    """Flags, codec, sizes, ratio, per-frame table, delays, metadata and audio
    of the selected layer's PZP file."""

    def __init__(self, napari_viewer: Any):
        super().__init__()
        self.viewer = napari_viewer
        self.summary = QTextBrowser()
        self.frames = QTableWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("Frames"))
        layout.addWidget(self.frames)
        self.viewer.layers.selection.events.active.connect(self.refresh)
        self.refresh()

    def refresh(self, event: Any = None) -> None:
        layer = self.viewer.layers.selection.active
        path = source_of(layer) if layer is not None else None
        if path is None:
            self.summary.setPlainText("Select a layer read from a .pzp file.")
            _fill_table(self.frames, [], [])
            return
        self.summary.setPlainText(self.describe(path, layer))
        with pzp.open(path) as c:
            rows = []
            for k in range(len(c)):
                f = c.frame_info(k)
                shape = "x".join(map(str, f["shape"]))
                flags = "+".join(n for bit, n in ((2, "rle"), (4, "palette"), (8, "delta"), (16, "lz4"))
                                 if f["configuration"] & bit) or "plain"
                rows.append([k, shape, f["dtype"], flags, f["codec"], f["compressed_bytes"],
                             round(f["decoded_bytes"] / f["compressed_bytes"], 2), f["delay_ms"],
                             "delta" if f["is_delta"] else "key"])
        _fill_table(self.frames, ["frame", "shape", "dtype", "flags", "codec", "bytes", "ratio", "delay ms", "kind"],
                    rows)

    @staticmethod
    def describe(path: str, layer: Any) -> str:
        with pzp.open(path) as c:
            first = c.frame_info(0)
            raw = sum(c.frame_info(k)["decoded_bytes"] for k in range(len(c)))
            delays = c.delays
            meta = c.metadata
            audio_format, audio_bytes = c.audio_format, c._info.audio_bytes
            lines = [
                f"file: {path}",
                f"frames: {len(c)}   loop: {'forever' if c.loop_count == 0 else c.loop_count}",
                f"frame 0: {'x'.join(map(str, first['shape']))} {first['dtype']}, codec {first['codec']}, "
                f"configuration {first['configuration']} ({', '.join(layer.metadata['pzp'].get('flags', [])) or 'plain'})",
                f"size: {c.file_bytes:,} bytes for {raw:,} raw bytes: ratio {raw / c.file_bytes:.2f}",
                f"delays (ms): {delays[:20]}{' ...' if len(delays) > 20 else ''}",
                f"audio: {audio_format} {audio_bytes:,} bytes" if audio_bytes else "audio: none",
            ]
        if meta:
            text = layer.metadata["pzp"].get("metadata")
            shown = json.dumps(text, indent=1) if isinstance(text, (dict, list)) else repr(text)
            lines.append(f"metadata ({len(meta):,} bytes): {shown[:2000]}")
        else:
            lines.append("metadata: none")
        return "\n".join(lines)


class FlagTunerWidget(QWidget):
    """Every flag setting on the current frame (or a few sampled frames) of the
    selected layer: size, ratio, encode/decode speed, exactness; computed off
    the GUI thread. Pick a row, then save the layer with that setting."""

    COLUMNS = ["flags", "bytes", "ratio", "vs PNG", "encode MB/s", "decode MB/s", "exact"]

    def __init__(self, napari_viewer: Any):
        super().__init__()
        self.viewer = napari_viewer
        self.results: list = []
        self.worker: Any = None
        self.sampled = QCheckBox("sampled frames")
        self.frame_count = QSpinBox()
        self.frame_count.setRange(2, 16)
        self.frame_count.setValue(tuning.SEQUENCE_RUN)
        self.run_button = QPushButton("Run")
        self.save_button = QPushButton("Save layer with selected flags...")
        self.status = QLabel("")
        self.table = QTableWidget()
        controls = QHBoxLayout()
        for w in (self.sampled, self.frame_count, self.run_button):
            controls.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        layout.addWidget(self.save_button)
        self.run_button.clicked.connect(self.run)
        self.save_button.clicked.connect(self._save_dialog)

    def frames(self) -> list:
        """The frames to try: the current one, or evenly spaced runs of frames."""
        layer = self.viewer.layers.selection.active
        if layer is None:
            return []
        data = layer.data
        image_ndim = 3 if getattr(layer, "rgb", False) else 2
        leading = data.shape[: data.ndim - image_ndim]
        if not leading:
            return [np.asarray(data)]
        if self.sampled.isChecked():
            # pick flat indices first: a lazy stack then decodes only the sampled frames
            picked = tuning.sample(range(int(np.prod(leading))), self.frame_count.value())
            return [np.asarray(data[np.unravel_index(int(i), leading)]) for i in picked]
        position = layer.world_to_data(self.viewer.dims.point)
        index = tuple(int(np.clip(round(p), 0, n - 1)) for p, n in zip(position[: len(leading)], leading))
        return [np.asarray(data[index])]

    def run(self) -> None:
        """Starts the sweep in a worker thread; rows appear as results come."""
        from napari.qt.threading import create_worker

        frames = [f for f in self.frames() if f.dtype in (np.uint8, np.uint16)]
        if not frames:
            self.status.setText("Select an image or labels layer of uint8 or uint16 data.")
            return
        if self.worker is not None:
            self.worker.quit()
        self.results = []
        _fill_table(self.table, self.COLUMNS, [])
        settings = tuning.candidates(frames[0], sequence=len(frames) > 1, run=len(frames))
        self.status.setText(f"trying {len(settings)} settings on {len(frames)} frame(s)...")

        def sweep():
            for k, candidate in enumerate(settings):
                yield k, tuning.sweep(frames, [candidate])[0]

        self.worker = create_worker(sweep, _start_thread=False)
        self.worker.yielded.connect(self._add_result)
        self.worker.finished.connect(lambda: self.status.setText(f"done: {len(self.results)} settings"))
        self.worker.start()

    def _add_result(self, item: tuple) -> None:
        _, result = item
        self.results.append(result)
        row = result.row()
        table = self.table
        table.setSortingEnabled(False)
        r = table.rowCount()
        table.insertRow(r)
        values = [row["flags"], row["bytes"], row["ratio"], row["vs_png"] if row["vs_png"] is not None else "",
                  row["encode_mb_s"], row["decode_mb_s"], "yes" if row["exact"] else "NO"]
        for c, value in enumerate(values):
            item = _number_item(value)
            item.setData(Qt.ItemDataRole.UserRole, len(self.results) - 1)
            table.setItem(r, c, item)
        table.setSortingEnabled(True)
        self.status.setText(f"{len(self.results)} settings tried")

    def selected(self) -> tuning.Result | None:
        """The result of the selected row (the smallest exact one if none is selected)."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if rows:
            index = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
            return self.results[index]
        return tuning.smallest(self.results) if tuning.valid(self.results) else None

    def save(self, path: str) -> list:
        """Saves the selected layer with the selected setting; returns the paths written."""
        layer = self.viewer.layers.selection.active
        result = self.selected()
        if layer is None or result is None:
            msg = "select a layer and run the tuner first"
            raise ValueError(msg)
        data, attributes, layer_type = layer.as_layer_data_tuple()
        channels = data.shape[-1] if getattr(layer, "rgb", False) else 1
        options = result.candidate.container_options(channels)
        return write_layer(path, data, attributes, layer_type, **options)

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save as PZP", "", "PZP (*.pzp)")
        if path:
            paths = self.save(path if path.lower().endswith(".pzp") else path + ".pzp")
            self.status.setText(f"saved {paths[0]}")
