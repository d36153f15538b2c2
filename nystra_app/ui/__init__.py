"""The desktop app (PySide6 + pyqtgraph): the only package that imports Qt.

Widgets display what the engine computes; long work runs in `worker.Job` threads, one queue per
device, driving the engine's progress generators.
"""
