"""Running campaigns: one run, paired comparisons of modes, sweeps, capacity plans and the
benchmark; on this process, a local pool or a Dask cluster."""
