"""Synthetic data sets and the bench database helper shared by the benchmarks."""
