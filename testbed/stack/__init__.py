"""A real Keystone 30 on 127.0.0.1 for the integration tests.

Only the Python standard library and ``requests`` are used in the test
process; Keystone itself runs from a virtualenv of its own (built once by
:func:`keystone.ensure_venv` and cached), served by gunicorn.

    python -m testbed.stack up [--workdir DIR] [--port 5000]
    python -m testbed.stack down [--workdir DIR]

See ``tests/support/keystone.py`` for the pytest fixture.
"""
