"""Fuzzing campaign over the ``.cool`` container and the Cool-chic 3.0 payload.

Run ``python -m benchmarks.fuzz --inputs 100000`` from the repository root (``make fuzz``).
Not part of the default test run; inputs that ever failed go to ``tests/corpus/``.
"""
