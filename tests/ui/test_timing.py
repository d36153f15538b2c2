"""Issue item 10: the timing panel in seconds from zero, a picture column, and A/B runs that alternate
which mode goes first."""

from __future__ import annotations

from pathlib import Path

from nystra_app.attention import AttentionSpec
from nystra_app.ui.main_window import MainWindow
from nystra_app.ui.timing import attention_in_words


def test_axes_start_at_zero_in_seconds_with_a_picture_column(qtbot, window: MainWindow, picture: Path) -> None:
    window.open_path(picture)
    with qtbot.waitSignal(window.result_ready, timeout=60_000):
        window.task_buttons["dehaze"].click()
    timing = window.timing
    for plot, tallest in ((timing.tiles_plot, max(window.result().tile_seconds)),
                          (timing.runs_plot, timing.runs[-1].seconds)):
        (x_low, x_high), (y_low, y_high) = plot.viewRange()
        assert y_low == 0 and y_high >= tallest and x_low < 1 < x_high
        assert plot.getAxis("left").labelText == "seconds"
    header = [timing.table.horizontalHeaderItem(c).text() for c in range(timing.table.columnCount())]
    assert header[:4] == ["Picture", "Model", "Mode", "Seconds"]
    assert timing.table.item(0, 0).text() == "hazy.png"
    assert float(timing.table.item(0, 3).text()) == round(timing.runs[0].seconds, 2)


def test_ab_runs_alternate_which_mode_goes_first(qtbot, window: MainWindow, picture: Path) -> None:
    window.open_path(picture)
    orders = []
    for _ in range(2):
        with qtbot.waitSignal(window.result_ready, timeout=60_000):
            window.run_ab()
        orders.append([r.mode for r in window.timing.runs[-2:]])
    assert orders == [["exact", "fast"], ["fast", "exact"]]
    assert window.timing.speedup() is not None


def test_the_research_columns_are_explained_in_plain_words(qtbot, window: MainWindow, picture: Path) -> None:
    """The Attention column names settings as researchers do; pointing at a row says what it means."""
    window.open_path(picture)
    with qtbot.waitSignal(window.result_ready, timeout=60_000):
        window.run_ab()
    table = window.timing.table
    column = {table.horizontalHeaderItem(c).text(): c for c in range(table.columnCount())}
    for name in ("Mode", "Window", "Attention"):
        assert table.horizontalHeaderItem(column[name]).toolTip(), name
    tips = {table.item(r, column["Mode"]).text(): table.item(r, column["Attention"]).toolTip()
            for r in range(table.rowCount())}
    assert tips["exact"].startswith("Exact:")
    fast = window.timing.runs[[r.mode for r in window.timing.runs].index("fast")]
    assert fast.attention.startswith("nystrom(") and tips["fast"].startswith("Fast:")
    assert not any(word in tips["fast"] for word in ("Nystr", "landmark", "pseudoinverse")), tips["fast"]


def test_every_fast_option_is_put_into_words() -> None:
    words = attention_in_words(AttentionSpec("nystrom", landmarks=32, iters=3, local=8, guard=False))
    assert "32 summary points" in words and "3 steps" in words and "8×8" in words and "without the check" in words
    assert attention_in_words(AttentionSpec()).startswith("Exact:")
