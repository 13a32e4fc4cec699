"""Test support: every pytest fixture and helper more than one test module
uses (the fixture modules are registered by `pytest_plugins` in
tests/conftest.py). What benchmarks/ needs too lives in testbed/, which
these modules wrap.
"""
