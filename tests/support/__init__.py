"""Test support: helpers and pytest fixtures the suites share (the fixture
modules are registered by `pytest_plugins` in tests/conftest.py), and that
benchmarks/ imports too (free ports, process groups, servers, PostgreSQL).
"""
