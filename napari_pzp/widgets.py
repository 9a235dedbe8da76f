"""Notebook widgets (core ipywidgets only, so they render in JupyterLab, VS Code
and Colab): SequenceBrowser for long 16-bit sequences, FlagTuner for choosing
PZP flags.

    from napari_pzp.widgets import SequenceBrowser, FlagTuner
    SequenceBrowser("depth.pzp")          # display it (last expression of a cell)
    tuner = FlagTuner(frame); tuner       # ... later: tuner.options -> dict for pzp.write

Only the frame shown is decoded. The contrast window is fixed (from the
statistics our writer stores, else from sampled frames) and changes only when
you move it, so 16-bit depth does not flicker. While Play runs frames go to
the browser as JPEG; when it stops, the frame is sent again as lossless PNG.
"""

from __future__ import annotations

import html
import os
import threading
import time
from typing import Any, Sequence

import ipywidgets as widgets
import numpy as np

import pzp

from . import _metadata, render, tuning
from .stack import PZPStack


class FrameSource:
    """Frames by index from a .pzp path, a PZPStack, a dask array or a numpy array
    of shape (T, H, W[, C]), with what the file says (delays, statistics, units).

    An array that is one image counts as a sequence of one frame: a 2-D array
    (H, W), and a 3-D array whose last axis has 1 to 4 entries while the other
    two are larger, (H, W, C) (a colour image, not H frames of one row). Any
    other 3-D array is (T, H, W). A PZPStack always has its frame axis.
    """

    def __init__(self, source: Any):
        self.delays: list | None = None
        self.loop_count: int | None = None
        self.stats: dict | None = None
        self.user_metadata: Any = None
        if isinstance(source, (str, os.PathLike)):
            source = PZPStack(source)
        if isinstance(source, PZPStack):
            if source.path:
                with pzp.open(source.path) as c:
                    self.delays = c.delays
                    self.loop_count = c.loop_count
                    self.user_metadata, ours = _metadata.split_blob(c.metadata)
                self.stats = ours.get("stats")
        elif not hasattr(source, "shape") or not hasattr(source, "__getitem__"):
            source = np.asarray(source)
        if len(source.shape) < 2:
            msg = f"a sequence is (T, H, W[, C]); got shape {source.shape}"
            raise ValueError(msg)
        shape = tuple(source.shape)
        one_image = len(shape) == 2 or (len(shape) == 3 and not isinstance(source, PZPStack)
                                         and shape[2] <= 4 and min(shape[:2]) > shape[2])
        if one_image:
            source = source[None] if hasattr(source, "compute") else np.asarray(source)[None]  # dask stays lazy
        self.data = source
        self.dtype = np.dtype(source.dtype)
        self.decodes = 0
        self._sampled: dict | None = None

    def __len__(self) -> int:
        return int(self.data.shape[0])

    @property
    def frame_shape(self) -> tuple:
        return tuple(self.data.shape[1:])

    @property
    def is_color(self) -> bool:
        shape = self.frame_shape
        return len(shape) == 3 and shape[2] in (3, 4) and self.dtype == np.uint8

    def frame(self, index: int) -> np.ndarray:
        """Frame index as a numpy array (one decode for a PZP source)."""
        self.decodes += 1
        item = self.data[index]
        compute = getattr(item, "compute", None)
        return np.asarray(compute() if compute is not None else item)

    def time_of(self, index: int) -> float | None:
        """Seconds from the start of the sequence to frame index, from the delays."""
        if not self.delays or not any(self.delays):
            return None
        return sum(self.delays[:index]) / 1000.0

    @property
    def value_unit(self) -> tuple:
        """(unit, scale) of the sample values, from metadata keys value_unit/value_scale."""
        meta = self.user_metadata if isinstance(self.user_metadata, dict) else {}
        unit = meta.get("value_unit")
        return (str(unit), float(meta.get("value_scale", 1.0))) if unit else (None, 1.0)

    def statistics(self) -> dict | None:
        """Per-frame statistics (lists over frames of lists over channels): the
        stored ones, else those of 7 evenly spaced frames, sampled once."""
        if self.stats and _metadata.window(self.stats):
            return self.stats
        if self.dtype.kind not in "ui":
            return None
        if self._sampled is None:
            n = len(self)
            picks = sorted({round(k * (n - 1) / 6) for k in range(7)}) if n > 1 else [0]
            per_frame = []
            for k in picks:
                f = self.frame(k)
                per_frame.append(_metadata.frame_stats(f[..., 0] if f.ndim == 3 else f, channels_last=False))
            self._sampled = _metadata.merge_stats(per_frame)
        return self._sampled

    def initial_window(self) -> tuple:
        """Stored statistics, else sampled frames ignoring zeros; never lo == hi."""
        if self.dtype.kind not in "ui":
            return (0.0, 1.0)
        stats = self.statistics()
        found = _metadata.window(stats) if stats else None
        return found if found else (0.0, float(np.iinfo(self.dtype).max))

    def value_range(self) -> tuple:
        """(lo, hi) the data spans (stored or sampled min and max) with a little
        room, within the dtype; lo < hi always."""
        if self.dtype.kind not in "ui":
            return (0, 1)
        info = np.iinfo(self.dtype)
        stats = self.statistics()
        if not stats or not stats.get("min"):
            return (int(info.min), int(info.max))
        lo = min(min(per_channel) for per_channel in stats["min"])
        hi = max(max(per_channel) for per_channel in stats["max"])
        room = max(1, (hi - lo) // 20)
        lo, hi = max(int(info.min), lo - room), min(int(info.max), hi + room)
        return (lo, hi) if hi > lo else (hi - 1, hi)


class SequenceBrowser(widgets.VBox):
    """Browse a sequence: frame slider with Play, colormaps, a fixed contrast
    window, histogram, frame statistics and a pixel value readout. The window
    slider and the histogram span the data's range (stored or sampled min and
    max), widened when a frame shown goes beyond it.

    ``companion``: a second source shown beside the first at the same frame
    (e.g. the RGB frames of a depth sequence).
    """

    def __init__(self, source: Any, companion: Any = None, colormap: str = "gray", interval_ms: int | None = None):
        self.source = FrameSource(source)
        self.companion = FrameSource(companion) if companion is not None else None
        n = len(self.source)
        bottom, top = self.source.value_range()
        lo, hi = self.source.initial_window()
        lo, hi = min(max(int(lo), bottom), top - 1), min(max(int(hi), bottom + 1), top)
        delays = [d for d in (self.source.delays or []) if d > 0]
        interval = interval_ms or (int(np.median(delays)) if delays else 100)
        self.slider = widgets.IntSlider(value=0, min=0, max=max(0, n - 1), description="frame",
                                        continuous_update=True, layout=widgets.Layout(width="420px"))
        # Play loops when the container says "loop forever" (loop count 0)
        self.play = widgets.Play(value=0, min=0, max=max(0, n - 1), interval=interval, description="Play",
                                 repeat=self.source.loop_count == 0)
        widgets.jslink((self.play, "value"), (self.slider, "value"))  # playback runs in the browser
        self.time_label = widgets.Label()
        self.colormap = widgets.Dropdown(options=list(render.COLORMAPS), value=colormap, description="colormap",
                                         disabled=self.source.is_color)
        self.window = widgets.IntRangeSlider(value=(lo, max(hi, lo + 1)), min=bottom, max=top,
                                             description="window", continuous_update=False,
                                             disabled=self.source.is_color, layout=widgets.Layout(width="420px"))
        self.image = widgets.Image(format="png")
        self.side = widgets.Image(format="png") if self.companion is not None else None
        self.histogram = widgets.Image(format="png")
        self.stats = widgets.HTML()
        height, width = self.source.frame_shape[:2]
        self.x = widgets.BoundedIntText(value=width // 2, min=0, max=width - 1, description="x",
                                        layout=widgets.Layout(width="150px"))
        self.y = widgets.BoundedIntText(value=height // 2, min=0, max=height - 1, description="y",
                                        layout=widgets.Layout(width="150px"))
        self.readout = widgets.Label()
        self._frame: np.ndarray | None = None
        self._table: np.ndarray | None = None
        # the companion's window is fixed: its table is built once (its window samples frames)
        self._side_table = None if self.companion is None or self.companion.is_color else render.display_table(
            self.companion.dtype, *self.companion.initial_window(), "gray")
        self.render_seconds = 0.0
        images = [self.image] + ([self.side] if self.side is not None else [])
        panel = widgets.VBox([self.histogram, self.stats, widgets.HBox([self.x, self.y]), self.readout])
        super().__init__([
            widgets.HBox([self.play, self.slider, self.time_label]),
            widgets.HBox(images + [panel]),
            widgets.HBox([self.colormap, self.window]),
        ])
        self.slider.observe(self._on_frame, names="value")
        self.play.observe(self._on_playing, names="playing")
        self.colormap.observe(self._on_look, names="value")
        self.window.observe(self._on_look, names="value")
        self.x.observe(self._on_position, names="value")
        self.y.observe(self._on_position, names="value")
        self._rebuild_table()
        self.show(0)

    # ---- state changes
    def _on_frame(self, change: dict) -> None:
        self.show(change["new"])

    def _on_playing(self, change: dict) -> None:
        if not change["new"]:
            self._render()  # stopped: send the frame again, lossless

    def _on_look(self, change: dict) -> None:
        self._rebuild_table()
        self._render()  # the same frame, re-windowed: nothing decoded

    def _on_position(self, change: dict) -> None:
        self._update_readout()

    def _rebuild_table(self) -> None:
        if self.source.is_color:
            self._table = None
            return
        lo, hi = self.window.value
        self._table = render.display_table(self.source.dtype, lo, hi, self.colormap.value)

    # ---- drawing
    @property
    def playing(self) -> bool:
        return bool(self.play.playing)

    def show(self, index: int) -> None:
        """Decodes frame index (only it) and draws it."""
        self._frame = self.source.frame(index)
        self._companion_frame = self.companion.frame(index) if self.companion is not None else None
        self._update_stats()
        self._widen_window_range()
        seconds = self.source.time_of(index)
        timing = f" · t = {seconds:.3f} s" if seconds is not None else ""
        self.time_label.value = f"{index + 1} / {len(self.source)}{timing}"
        self._render()
        self._update_readout()

    def _widen_window_range(self) -> None:
        """The slider spans the data's range; a frame beyond it widens it, so
        every value it holds can still be windowed. From the frame's statistics
        (no second pass): its minimum is 0 when it has zeros, else the smallest
        valid value."""
        if self.source.is_color or self.source.dtype.kind not in "ui":
            return
        s = self.frame_stats
        if s["max"] is None:  # all zeros
            low = high = 0
        else:
            low, high = (0 if s["invalid"] else s["min"]), s["max"]
        if high > self.window.max:
            self.window.max = high
        if low < self.window.min:
            self.window.min = low

    def _render(self) -> None:
        start = time.perf_counter()
        fmt = "jpeg" if self.playing else "png"
        display = render.to_display(self._frame, self._table)
        self.image.format = fmt
        self.image.value = render.encode(display, fmt)
        if self.side is not None:
            self.side.format = fmt
            self.side.value = render.encode(render.to_display(self._companion_frame, self._side_table), fmt)
        self.render_seconds = time.perf_counter() - start
        if not self.playing and self.source.dtype.kind in "ui":
            lo, hi = self.window.value
            picture = render.histogram_image(self._frame, lo, hi, self.window.max, start=self.window.min)
            self.histogram.value = render.encode(picture, "png")

    def _update_stats(self) -> None:
        s = render.frame_statistics(self._frame, invalid=None if self.source.is_color else 0)
        unit, scale = self.source.value_unit
        def shown(v):
            if v is None:
                return "-"
            return f"{v * scale:.4g} {unit}" if unit else f"{v:.6g}"
        self.stats.value = (f"<table><tr><td>min</td><td>{shown(s['min'])}</td></tr>"
                            f"<tr><td>max</td><td>{shown(s['max'])}</td></tr>"
                            f"<tr><td>mean</td><td>{shown(s['mean'])}</td></tr>"
                            f"<tr><td>zero / invalid</td><td>{s['invalid'] * 100:.2f} %</td></tr></table>")
        self.frame_stats = s

    def _update_readout(self) -> None:
        x, y = self.x.value, self.y.value
        value = self._frame[y, x]
        unit, scale = self.source.value_unit
        text = ", ".join(str(v) for v in np.atleast_1d(value).tolist())
        if unit and np.ndim(value) == 0:
            text = f"{text} {unit}" if scale == 1.0 else f"{text} ({float(value) * scale:.4g} {unit})"
        self.readout.value = f"value at ({x}, {y}): {text}"


class FlagTuner(widgets.VBox):
    """Every meaningful PZP setting on an image or on a few sampled frames of a
    sequence, measured in a background thread: a sortable table, a plot of
    ratio against decode speed whose dots are buttons (click one to pick its
    setting), a pick list, and a button writing the file (a sequence is
    streamed) with the chosen setting.

    ``tuner.chosen`` is the picked :class:`~napari_pzp.tuning.Candidate`;
    ``tuner.options`` its keyword arguments for pzp.write / pzp.write_container.
    """

    SORT_KEYS = {"size": "bytes", "ratio": "ratio", "decode MB/s": "decode_mb_s", "encode MB/s": "encode_mb_s",
                 "flags": "flags"}

    def __init__(self, source: Any, frames: int = tuning.SEQUENCE_RUN, repeat: int = 3,
                 settings: Sequence | None = None, start: bool = True):
        self.frame_source = FrameSource(source)
        self.sequence = len(self.frame_source) > 1
        indices = tuning.sample(range(len(self.frame_source)), frames) if self.sequence else [0]
        self.frames = [self.frame_source.frame(int(i)) for i in indices]
        self.settings = list(settings) if settings is not None else tuning.candidates(
            self.frames[0], self.sequence, run=len(self.frames))
        self.repeat = repeat
        self.results: list = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.progress = widgets.IntProgress(value=0, min=0, max=len(self.settings), description="trying")
        self.status = widgets.Label()
        self.sort_by = widgets.Dropdown(options=list(self.SORT_KEYS), value="size", description="sort by")
        self.descending = widgets.Checkbox(value=False, description="descending")
        self.table = widgets.HTML()
        table_box = widgets.Box([self.table], layout=widgets.Layout(height="260px", overflow="auto",
                                                                   border="1px solid #ddd", margin="0 0 8px 0"))
        # The plot is an image under a grid of PLOT_CELL-pixel cells; each measured
        # setting has a tiny button in its dot's cell (CSS grid lets children
        # overlap), so clicking a dot picks it with core widgets only.
        width, height = PLOT_SIZE
        self.plot = widgets.Image(format="png", layout=widgets.Layout(
            grid_area="1 / 1 / -1 / -1", width=f"{width}px", height=f"{height}px", margin="0"))
        self.dots = [widgets.Button(tooltip=c.label, style=widgets.ButtonStyle(button_color=_css(DOT_COLOR)),
                                    layout=widgets.Layout(width=f"{PLOT_CELL}px", height=f"{PLOT_CELL}px",
                                                          padding="0", margin="0", min_width="0", display="none"))
                     for c in self.settings]
        for k, dot in enumerate(self.dots):
            dot.on_click(lambda button, k=k: self.pick_setting(k))
        self.ticks = [widgets.HTML(layout=widgets.Layout(margin="0", height="auto", overflow="visible"))
                      for _ in range(4)]  # ratio max, ratio min, speed min, speed max
        self.plot_grid = widgets.GridBox([self.plot, *self.ticks, *self.dots], layout=widgets.Layout(
            width=f"{width}px", height=f"{height}px", grid_template_columns=f"repeat({width // PLOT_CELL}, "
            f"{PLOT_CELL}px)", grid_template_rows=f"repeat({height // PLOT_CELL}, {PLOT_CELL}px)"))
        plot_box = widgets.VBox([self.plot_grid, widgets.HTML(
            "<div style='font-size: 11px; line-height: 14px'>x: decode speed (MB/s, log scale) · y: ratio "
            "(raw / compressed)<br>click a dot to pick its setting (ringed: the chosen one)</div>")])
        self.pick = widgets.Select(options=[], description="setting", rows=8, layout=widgets.Layout(width="420px"))
        self.path = widgets.Text(value="tuned.pzp", description="write to")
        self.write_button = widgets.Button(description="Write with this setting", button_style="primary",
                                           layout=widgets.Layout(width="auto"))
        self.written = widgets.Label()
        super().__init__([
            widgets.HBox([self.progress, self.status]),
            widgets.HBox([self.sort_by, self.descending]),
            table_box,
            widgets.HBox([plot_box, self.pick]),
            widgets.HBox([self.path, self.write_button, self.written]),
        ])
        self.sort_by.observe(lambda change: self._show_table(), names="value")
        self.descending.observe(lambda change: self._show_table(), names="value")
        self._user_picked = False  # until the user picks, the pick follows the smallest result
        self._updating = False
        self.pick.observe(self._on_pick, names="value")
        self.write_button.on_click(lambda button: self.write())
        if start:
            self.start()

    # ---- the background sweep
    def start(self) -> None:
        """Runs the sweep in a daemon thread; the widgets update as results arrive."""
        if self.thread is not None and self.thread.is_alive():
            return
        self._stop.clear()
        self.thread = threading.Thread(target=self._run, name="pzp-flag-tuner", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until the sweep ends; True if it did."""
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True

    @property
    def done(self) -> bool:
        return self.thread is not None and not self.thread.is_alive()

    def _run(self) -> None:
        self.status.value = f"{len(self.settings)} settings on {len(self.frames)} frame(s)"

        def progress(done: int, total: int, result: tuning.Result) -> None:
            with self._lock:
                self.results.append(result)
            self.progress.value = done
            if done % 4 == 0 or done == total:
                self._refresh()

        tuning.sweep(self.frames, self.settings, repeat=self.repeat, progress=progress, cancelled=self._stop.is_set)
        self._refresh()
        self.status.value = f"done: {len(self.results)} settings"

    # ---- presenting results
    def _on_pick(self, change: dict) -> None:
        if not self._updating:
            self._user_picked = True
        self._show_plot()

    def _refresh(self) -> None:
        self._show_table()
        with self._lock:
            valid = tuning.valid(self.results)
        options = [(f"{r.candidate.label}: {r.bytes:,} B, x{r.ratio:.2f}, {r.decode_mb_s:.0f} MB/s", i)
                   for i, r in enumerate(valid)]
        keep = self.pick.value
        self._updating = True
        try:
            self.pick.options = options
            if self._user_picked and keep is not None and keep < len(options):
                self.pick.value = keep
            elif options:
                self.pick.value = min(range(len(valid)), key=lambda i: valid[i].bytes)
        finally:
            self._updating = False
        self._show_plot()

    def rows(self) -> list:
        """The table's rows (dicts), sorted as the widgets say."""
        with self._lock:
            rows = [r.row() for r in self.results]
        key = self.SORT_KEYS[self.sort_by.value]
        return sorted(rows, key=lambda r: (r[key] is None, r[key]), reverse=self.descending.value)

    def _show_table(self) -> None:
        head = ["flags", "bytes", "ratio", "vs PNG", "encode MB/s", "decode MB/s", "exact"]
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v if v is not None else '-'))}</td>" for v in
                             (r["flags"], f"{r['bytes']:,}", r["ratio"], r["vs_png"], r["encode_mb_s"],
                              r["decode_mb_s"], "yes" if r["exact"] else "NO")) + "</tr>"
            for r in self.rows())
        self.table.value = ("<table style='border-collapse: collapse'><tr>"
                            + "".join(f"<th style='padding: 0 8px; text-align: left'>{h}</th>" for h in head)
                            + "</tr>" + body.replace("<td>", "<td style='padding: 0 8px'>") + "</table>")

    @property
    def chosen(self) -> tuning.Candidate | None:
        result = self.chosen_result
        return result.candidate if result is not None else None

    @property
    def chosen_result(self) -> tuning.Result | None:
        with self._lock:
            valid = tuning.valid(self.results)
        if not valid:
            return None
        index = self.pick.value
        return valid[index] if index is not None and index < len(valid) else tuning.smallest(valid)

    @property
    def options(self) -> dict:
        """Keyword arguments of the chosen setting for pzp.write / pzp.write_container."""
        chosen = self.chosen
        if chosen is None:
            return {}
        channels = self.frames[0].shape[2] if self.frames[0].ndim == 3 else 1
        return chosen.container_options(channels) if self.sequence else chosen.options(channels)

    def pick_setting(self, k: int) -> None:
        """Picks the result of self.settings[k] (what clicking its dot does)."""
        with self._lock:
            result = self.results[k] if k < len(self.results) else None
            valid = tuning.valid(self.results)
        index = next((i for i, r in enumerate(valid) if r is result), None)
        if index is not None:
            self._user_picked = True
            self.pick.value = index

    def _show_plot(self) -> None:
        with self._lock:
            results = list(self.results)
        valid = tuning.valid(results)
        if not valid:
            return
        chosen = self.chosen_result
        self.plot.value = render.encode(scatter_image(valid, chosen), "png")
        cells = dict(zip(map(id, valid), plot_cells(valid)))
        for result, dot in zip(results, self.dots):  # results come in the order of the settings
            cell = cells.get(id(result))
            if cell is None:
                dot.layout.display = "none"
                continue
            dot.layout.grid_area = f"{cell[0] + 1} / {cell[1] + 1}"
            dot.style.button_color = _css(CHOSEN_COLOR if result is chosen else DOT_COLOR)
            dot.layout.display = None
        self._show_ticks(valid, list(cells.values()))

    def _show_ticks(self, valid: list, cells: list) -> None:
        """min and max of each axis beside the dots that have them."""
        left, bottom = PLOT_MARGIN
        columns, rows = (size // PLOT_CELL for size in PLOT_SIZE)
        top_row, low_row = min(r for r, _ in cells), max(r for r, _ in cells)
        ratios = [r.ratio for r in valid]
        speeds = [min(r.decode_mb_s, 1e9) for r in valid]
        style = "font-size: 10px; line-height: 12px; color: #555; white-space: nowrap"
        texts = [f"{max(ratios):.3g}", f"{min(ratios):.3g}", f"{min(speeds):,.0f}", f"{max(speeds):,.0f} MB/s"]
        below = rows - bottom + 2  # the grid line under the x axis
        areas = [f"{top_row} / 1 / {top_row + 3} / {left}", f"{low_row} / 1 / {low_row + 3} / {left}",
                 f"{below} / {left + 1} / -1 / {left + 13}", f"{below} / {columns - 14} / -1 / -1"]
        places = ["text-align: right; padding: 6px 3px 0 0"] * 2 + ["padding: 1px 0 0 0", "text-align: right"]
        for tick, text, area, place in zip(self.ticks, texts, areas, places):
            tick.layout.grid_area = area
            tick.value = f"<div style='{style}; {place}'>{text}</div>"

    def write(self, path: str | None = None) -> str:
        """Writes the source with the chosen setting (a sequence frame by frame)."""
        path = path or self.path.value
        options = self.options
        if not options:
            msg = "no setting measured yet"
            raise ValueError(msg)
        if self.sequence:
            with pzp.ContainerWriter(path, expected_frames=len(self.frame_source),
                                     **{k: v for k, v in options.items()}) as writer:
                delays = self.frame_source.delays or [0] * len(self.frame_source)
                for k in range(len(self.frame_source)):
                    writer.append(self.frame_source.frame(k), delay_ms=delays[k])
        else:
            pzp.write(path, self.frames[0], **options)
        self.written.value = f"wrote {path} ({os.path.getsize(path):,} bytes)"
        return path


PLOT_SIZE = (360, 240)  # width, height of the ratio / decode speed plot in pixels
PLOT_CELL = 8  # pixels per grid cell: a dot fills one cell, its button lies over it
PLOT_MARGIN = (5, 3)  # cells left of and below the dots: the axes and their labels
DOT_COLOR, CHOSEN_COLOR = (40, 80, 170), (200, 40, 40)


def _css(rgb: tuple) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def plot_cells(results: Sequence, size: tuple = PLOT_SIZE, cell: int = PLOT_CELL) -> list:
    """(row, column) of the grid cell of each result's dot: decode speed to the
    right (log), ratio up, each from its smallest to its largest. scatter_image
    draws the dots at these cells' centres and FlagTuner lays its buttons on
    these cells, so picture and buttons agree."""
    columns, rows = size[0] // cell, size[1] // cell
    left, bottom = PLOT_MARGIN
    speeds = np.log10([min(max(r.decode_mb_s, 1e-3), 1e9) for r in results])
    ratios = np.array([r.ratio for r in results], float)

    def place(values: np.ndarray, first: int, last: int) -> list:
        lo, hi = values.min(), values.max()
        if hi <= lo:
            return [(first + last) // 2] * len(values)
        return np.round(first + (values - lo) / (hi - lo) * (last - first)).astype(int).tolist()

    return list(zip(place(-ratios, 1, rows - bottom - 1), place(speeds, left, columns - 2)))


def scatter_image(results: Sequence, chosen: Any = None, size: tuple = PLOT_SIZE, cell: int = PLOT_CELL) -> np.ndarray:
    """A plot of compression ratio (y) against decode speed (x, log) as an RGB
    image: axes with ticks at the smallest and largest value, one dot per
    setting at the centre of its plot_cells cell, the chosen one ringed."""
    width, height = size
    image = np.full((height, width, 3), 255, np.uint8)
    left, bottom = PLOT_MARGIN
    x_axis, y_axis = height - bottom * cell + cell // 2, left * cell - cell // 2
    image[x_axis, y_axis:] = 120
    image[: x_axis + 1, y_axis] = 120
    cells = plot_cells(results, size, cell)
    centres = [(r * cell + (cell - 1) / 2, c * cell + (cell - 1) / 2) for r, c in cells]
    for y in {min(y for y, _ in centres), max(y for y, _ in centres)}:
        image[round(y), y_axis - 4 : y_axis] = 120
    for x in {min(x for _, x in centres), max(x for _, x in centres)}:
        image[x_axis : x_axis + 5, round(x)] = 120
    yy, xx = np.mgrid[:height, :width]
    for r, (y, x) in zip(results, centres):
        color = CHOSEN_COLOR if r is chosen else DOT_COLOR
        image[(xx - x) ** 2 + (yy - y) ** 2 <= (cell / 2) ** 2] = color
        if r is chosen:
            ring = np.abs(np.hypot(xx - x, yy - y) - cell) < 1.2
            image[ring] = CHOSEN_COLOR
    return image


__all__ = ["FlagTuner", "FrameSource", "SequenceBrowser", "plot_cells", "scatter_image"]
