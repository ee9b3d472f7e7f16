"""dialer: a discrete-event simulator of outbound call-centre dialing (Genesys-style OCS).

Public API::

    from dialer import load, load_campaign, simulate
    result = simulate(load_campaign("campaigns/b2c-renewals.yaml"))
    result.summary["occupancy"]
    centre = simulate(load("campaigns/east-centre.yaml"))     # a campaign file or a centre file
    centre.summary["queues"]["support"]["service_level"]

    rows = dialer.sweep("experiments/modes-agents.yaml", workers=2, out="results/modes-agents")
    answer = dialer.plan("campaigns/b2c-renewals.yaml", deadline_s=28800, finish=0.5)
"""

from __future__ import annotations

from dialer.version import __version__

__all__ = [
    "__version__",
    "load",
    "load_campaign",
    "simulate",
    "Campaign",
    "Centre",
    "sweep",
    "plan",
]


def __getattr__(name: str):
    # Lazy, so that `dialer --help` does not import numpy, scipy or SimPy.
    if name in ("load_campaign", "Campaign"):
        from . import config

        return getattr(config, name)
    if name in ("load", "Centre"):
        from . import centre

        return getattr(centre, name)
    if name == "simulate":
        from dialer.experiments.run import simulate

        return simulate
    if name == "sweep":
        from dialer.experiments.sweeps import sweep

        return sweep
    if name == "plan":
        from dialer.experiments.capacity import plan

        return plan
    raise AttributeError(name)
