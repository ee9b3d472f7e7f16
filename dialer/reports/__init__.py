"""HTML reports: one self-contained page per results folder (plotly only in ``render``)."""
