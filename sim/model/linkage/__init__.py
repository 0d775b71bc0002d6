"""The linkage between lines (S1-S11, S13, S15): categories, routing rules, orders, flows."""
