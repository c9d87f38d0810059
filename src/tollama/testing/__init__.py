"""Helpers for testing tollama and code built on it: a real daemon on a free port, a local hub."""
