"""The live timing panel: every run's time (exact vs fast) on which picture, the speed-up between runs
that compare (same picture, same model), and the current run's per-tile times.

Small by default, so the photo keeps most of the window: a summary line over three tabs (the table of
runs, a bar per run, a bar per tile). Times are in seconds with the axis starting at zero, so a
one-tile run is one honest bar rather than a dot on a zoomed axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..attention import AttentionSpec
from ..engine import RestoreResult, TileProgress
from .fast_panel import EXACT_OR_FAST, REACH

COLOURS = {"exact": (70, 130, 220), "fast": (240, 140, 40)}
COLUMNS = ("Picture", "Model", "Mode", "Seconds", "Tiles", "Device", "Window", "Attention")
HEADER_TIPS = {  # the research columns, in a photographer's words
    "Mode": EXACT_OR_FAST,
    "Tiles": "A large picture is restored piece by piece: how many pieces.",
    "Window": f"{REACH}, the \"Reach\" of Tune Fast.",
    "Attention": "How the model compared the points within its reach, named as researchers name it: 'exact' for "
                 "every point against every other, 'nystrom(...)' for the Fast shortcut. Point at a row to read "
                 "what its setting means.",
}
MIN_TAB_HEIGHT = 40  # the panel may shrink to a summary and a row, leaving the photo the room
HEADROOM = 1.15  # the y axis reaches this far above the tallest bar


@dataclass(frozen=True)
class RunRecord:
    mode: str  # "exact" or "fast"
    picture: str  # runs compare only on the same picture and model
    model: str
    seconds: float
    tiles: int
    device: str
    window: int | str
    attention: str


def attention_in_words(spec: AttentionSpec) -> str:
    """A row's attention setting in plain words, for its tooltip."""
    if spec.kind == "exact":
        return "Exact: every point compared with every other within its reach, as the model was trained."
    if spec.kind != "nystrom":
        return spec.describe()
    words = (f"Fast: each point compared with {spec.landmarks} summary points of its reach instead of every "
             f"other one, refined in {spec.iters} steps")
    if spec.local:
        words += f"; the nearest {spec.local}×{spec.local} points still compared one by one"
    if not spec.guard:
        words += "; without the check that redoes the unsafe points exactly"
    return words + "."


def seconds_text(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _bar_plot(bottom: str) -> pg.PlotWidget:
    plot = pg.PlotWidget()
    plot.setLabel("left", "seconds")
    plot.setLabel("bottom", bottom)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    return plot


def _show_bars(plot: pg.PlotWidget, bars: list[pg.BarGraphItem], count: int, tallest: float) -> None:
    """Whole-number ticks, one per bar, and a y axis from zero."""
    axis = plot.getAxis("bottom")
    axis.setTicks([[(i, str(i)) for i in range(1, count + 1)]])
    plot.setXRange(0.4, max(count, 1) + 0.6, padding=0)
    plot.setYRange(0, max(tallest, 1e-3) * HEADROOM, padding=0)
    for item in bars:
        item.update()


class TimingPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunRecord] = []
        self.picture = ""
        self._tile_seconds: list[float] = []
        self._mode = "exact"

        pg.setConfigOptions(antialias=True)
        self.runs_plot = _bar_plot("run")
        self._bars = {mode: pg.BarGraphItem(x=[], height=[], width=0.6, brush=colour)
                      for mode, colour in COLOURS.items()}
        for bars in self._bars.values():
            self.runs_plot.addItem(bars)
        self.tiles_plot = _bar_plot("tile of the current run")
        self._tile_bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=COLOURS["exact"])
        self.tiles_plot.addItem(self._tile_bars)

        self.summary = QLabel("No runs yet")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        for column, name in enumerate(COLUMNS):
            header = QTableWidgetItem(name)
            header.setToolTip(HEADER_TIPS.get(name, ""))
            self.table.setHorizontalHeaderItem(column, header)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        key = " ".join(f"<span style='color: rgb{colour}'>■</span> {mode}" for mode, colour in COLOURS.items())
        chart = QWidget()
        chart_layout = QVBoxLayout(chart)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.addWidget(QLabel(key))
        chart_layout.addWidget(self.runs_plot, 1)
        for widget in (self.table, self.runs_plot, self.tiles_plot):
            widget.setMinimumHeight(MIN_TAB_HEIGHT)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, "Runs")
        self.tabs.addTab(chart, "Time per run")
        self.tabs.addTab(self.tiles_plot, "Time per tile")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)

    def set_picture(self, name: str) -> None:
        """A new picture: the summary starts again (earlier runs stay in the table, named)."""
        self.picture = name
        self.summary.setText(f"No runs on {name} yet")

    def begin_run(self, mode: str) -> None:
        self._mode = mode
        self._tile_seconds = []
        self._tile_bars.setOpts(x=[], height=[], brush=COLOURS[mode])

    def add_tile(self, event: TileProgress) -> None:
        if not event.index:  # the tiles are planned, none has run
            return
        self._tile_seconds = self._tile_seconds[: event.index - 1] + [event.seconds]
        count = len(self._tile_seconds)
        self._tile_bars.setOpts(x=list(range(1, count + 1)), height=self._tile_seconds, brush=COLOURS[self._mode])
        _show_bars(self.tiles_plot, [self._tile_bars], count, max(self._tile_seconds))

    def end_run(self, mode: str, result: RestoreResult, window: int | str, picture: str, model: str) -> None:
        record = RunRecord(mode, picture, model, result.seconds, result.tiles, result.device, window,
                           result.spec.describe())
        self.runs.append(record)
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in enumerate((picture, model, mode, f"{record.seconds:.2f}", str(record.tiles),
                                       record.device, str(window), record.attention)):
            item = QTableWidgetItem(text)
            item.setToolTip(attention_in_words(result.spec) if COLUMNS[column] == "Attention"
                            else HEADER_TIPS.get(COLUMNS[column], ""))
            self.table.setItem(row, column, item)
        self.table.scrollToBottom()
        for name, bars in self._bars.items():
            xs = [i + 1 for i, r in enumerate(self.runs) if r.mode == name]
            bars.setOpts(x=xs, height=[self.runs[x - 1].seconds for x in xs])
        _show_bars(self.runs_plot, list(self._bars.values()), len(self.runs), max(r.seconds for r in self.runs))
        self.summary.setText(self._summary())

    def _comparable(self) -> dict[str, RunRecord]:
        """The last run of each mode on the current picture with the newest run's model."""
        if not self.runs or self.runs[-1].picture != self.picture:
            return {}
        model = self.runs[-1].model
        return {r.mode: r for r in self.runs if r.picture == self.picture and r.model == model}

    def speedup(self) -> float | None:
        """Last exact time over last fast time, once both have been run on this picture with this model."""
        last = self._comparable()
        if "exact" in last and "fast" in last and last["fast"].seconds > 0:
            return last["exact"].seconds / last["fast"].seconds
        return None

    def _summary(self) -> str:
        last = self._comparable()
        parts = [f"{mode}: {seconds_text(r.seconds)}" + (f" ({r.tiles} tiles)" if r.tiles > 1 else "")
                 for mode, r in last.items()]
        speedup = self.speedup()
        if speedup is not None:
            parts.append(f"Fast is ×{speedup:.2f} the speed of Exact" if speedup >= 1
                         else f"Fast is slower (×{speedup:.2f})")
        newest = self.runs[-1]
        parts.append(f"{newest.picture}, {newest.device}")
        return "   ·   ".join(parts)
