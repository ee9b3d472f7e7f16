"""Dialing modes: each a small object from what the OCS observes to the dials to place now.
No SimPy and no truth here: pacers are built from their settings and the centre's beliefs."""
