"""Fault injection: the real services, as processes, over a real primary and hot standbys."""
