"""Experiments: replications (local pool or Dask), a scenario run, variants, precision runs,
the validation suite and the pre-run check."""
