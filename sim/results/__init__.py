"""Results: the leg record layout and its columns, KPIs, time series, interval estimates,
paired comparisons and the run directory (writer and reader)."""
