"""`nystra bench` loads the research package only when it runs, and names the extra it needs."""

from __future__ import annotations

import importlib.util

from nystra_app.cli import main


def test_bench_paper_without_matplotlib_names_the_extra(tmp_path, monkeypatch, capsys) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    assert main(["bench", "paper", "--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nystra: error:") and "nystra-app[bench]" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
