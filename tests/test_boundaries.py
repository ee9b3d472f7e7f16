"""Each boundary lives in one module (style.md): SimPy, YAML, plotly."""

from __future__ import annotations

import re
from pathlib import Path

OWNERS = {"simpy": {"model.py", "bench.py"}, "yaml": {"config.py"}, "plotly": {"report.py"},
          "distributed": {"pool.py"}, "dask": {"pool.py"}}


def test_each_boundary_in_one_module():
    for path in Path("dialer").glob("*.py"):
        text = path.read_text()
        for lib, owners in OWNERS.items():
            if re.search(rf"^\s*(import|from) {lib}\b", text, re.M):
                assert path.name in owners, f"{path} imports {lib}"
