"""The framework-free core both front ends share: names, queries, models, policy."""
