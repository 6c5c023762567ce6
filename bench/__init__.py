"""The performance benchmark: a large dataset, HTTP load against gunicorn, and a report.

Run it with `make bench` (see bench/README.md); it is never part of `make test`.
"""
