"""Benchmarks (``hotline bench``): ratios against baselines measured in the same run."""
