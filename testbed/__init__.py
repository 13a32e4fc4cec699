"""The test bed: the real components tests/ and benchmarks/ both start and
drive on 127.0.0.1 (glance-members servers, the app in a data dir, the
personas and their tokens, PostgreSQL and MariaDB servers, a Keystone
stack in its cached virtualenv, raw-HTTP probes, floods of slow clients).

Plain helpers, no pytest fixtures: the fixtures wrapping them are in
tests/support/. Not installed with the product (setup.cfg excludes it).
"""
