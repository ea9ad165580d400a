"""Benchmarks: each prints timings and ratios against a baseline measured in the same run."""
