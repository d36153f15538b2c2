"""Paper reproduction and measurements, apart from the product: the training-free baselines, offset
reach, the per-layer calibration guard, synthetic inputs, benchmarks and the `nystra bench paper`
report. Product code never imports this package (an import-linter contract checks it); `nystra bench`
loads it lazily. The plots need matplotlib: `pip install nystra-app[bench]`.

Importing the package registers its attention kinds (kinds.py) with the product's registry.
"""

from . import kinds
from .kinds import ResearchSpec

__all__ = ["ResearchSpec", "kinds"]
