"""Fitting a campaign to a centre's own call records (``dialer fit``).

The story runs in four rooms. A reader (:mod:`~dialer.fit.dialer_format`,
:mod:`~dialer.fit.vicidial`, :mod:`~dialer.fit.csvlog`) turns a dialer's export into one
:class:`~dialer.fit.log.CallLog`: what the OCS recorded of each dial and of its agents' time,
never what a simulator alone knows (the ``truth`` column is not read). Then
:mod:`~dialer.fit.durations` fits each duration (candidate families by AIC, censoring and
truncation in the likelihood, KS distance, QQ), :mod:`~dialer.fit.shares` turns outcome counts
into the population's shares by hour with binomial intervals, and :mod:`~dialer.fit.campaign`
puts the campaign file together, one comment per key saying where its value came from.
:mod:`~dialer.fit.validation` simulates the fitted campaign with the records' own mode and
staffing and sets its figures beside the records' own.
"""

from __future__ import annotations
