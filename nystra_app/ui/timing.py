"""The live timing panel: every run's total time (exact vs fast), the speed-up, and per-tile times.

Per-tile times are drawn as they arrive, so a slow tile shows while the run is still going.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..engine import RestoreResult, TileProgress

COLOURS = {"exact": (70, 130, 220), "fast": (240, 140, 40)}


@dataclass(frozen=True)
class RunRecord:
    mode: str  # "exact" or "fast"
    milliseconds: float
    tiles: int
    device: str
    window: int
    attention: str


class TimingPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunRecord] = []
        self._tile_ms: list[float] = []

        pg.setConfigOptions(antialias=True)
        self.runs_plot = pg.PlotWidget(title="Total time per run")
        self.runs_plot.setLabel("left", "ms")
        self.runs_plot.setLabel("bottom", "run")
        self.runs_plot.setMouseEnabled(False, False)
        self.runs_plot.addLegend(offset=(10, 5))
        self._bars = {mode: pg.BarGraphItem(x=[], height=[], width=0.6, brush=colour, name=mode)
                      for mode, colour in COLOURS.items()}
        for bars in self._bars.values():
            self.runs_plot.addItem(bars)

        self.tiles_plot = pg.PlotWidget(title="Per-tile time, current run")
        self.tiles_plot.setLabel("left", "ms")
        self.tiles_plot.setLabel("bottom", "tile")
        self.tiles_plot.setMouseEnabled(False, False)
        self._tile_curve = self.tiles_plot.plot([], [], pen=pg.mkPen(COLOURS["exact"], width=2), symbol="o",
                                                symbolSize=6)

        self.summary = QLabel("No runs yet")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Mode", "Total ms", "Tiles", "Device", "Window", "Attention"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        plots = QHBoxLayout()
        plots.addWidget(self.runs_plot, 1)
        plots.addWidget(self.tiles_plot, 1)
        plots.addWidget(self.table, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addLayout(plots, 1)

    def begin_run(self, mode: str) -> None:
        self._tile_ms = []
        self._tile_curve.setData([], [])
        self._tile_curve.setPen(pg.mkPen(COLOURS[mode], width=2))
        self._tile_curve.setSymbolBrush(COLOURS[mode])

    def add_tile(self, event: TileProgress) -> None:
        if not event.index:  # the tiles are planned, none has run
            return
        self._tile_ms = self._tile_ms[: event.index - 1] + [event.seconds * 1000]
        self._tile_curve.setData(list(range(1, len(self._tile_ms) + 1)), self._tile_ms)

    def end_run(self, mode: str, result: RestoreResult, window: int) -> None:
        record = RunRecord(mode, result.seconds * 1000, result.tiles, result.device, window, result.spec.describe())
        self.runs.append(record)
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in enumerate((mode, f"{record.milliseconds:.0f}", str(record.tiles), record.device,
                                       str(window), record.attention)):
            self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.scrollToBottom()
        for name, bars in self._bars.items():
            xs = [i + 1 for i, r in enumerate(self.runs) if r.mode == name]
            bars.setOpts(x=xs, height=[self.runs[x - 1].milliseconds for x in xs])
        self.runs_plot.setXRange(0.4, len(self.runs) + 0.6)
        self.summary.setText(self._summary())

    def speedup(self) -> float | None:
        """Last exact time over last fast time, once both have been run."""
        last = {r.mode: r for r in self.runs}
        if "exact" in last and "fast" in last and last["fast"].milliseconds > 0:
            return last["exact"].milliseconds / last["fast"].milliseconds
        return None

    def _summary(self) -> str:
        last = {r.mode: r for r in self.runs}
        parts = [f"{mode}: {r.milliseconds:.0f} ms ({r.tiles} tile{'s' if r.tiles != 1 else ''})"
                 for mode, r in last.items()]
        speedup = self.speedup()
        if speedup is not None:
            parts.append(f"speed-up ×{speedup:.2f}")
        newest = self.runs[-1]
        parts.append(f"device {newest.device}, window {newest.window}")
        return "   ·   ".join(parts)
