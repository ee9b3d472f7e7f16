"""What a run leaves behind: call records and agent-state records, and every summary metric,
compliance window and time series as a function of them."""
