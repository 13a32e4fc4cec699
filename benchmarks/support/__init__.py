"""What the benchmarks share: servers (glance-members and the ceiling app,
sampled), load (wrk and a small HTTP client), profiling (py-spy) and the
report (machine, versions, log). Run the scripts from the checkout
(`python benchmarks/sharing.py`): they put it first on sys.path."""
