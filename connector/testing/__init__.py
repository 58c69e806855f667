"""Harnesses for the tests, the benchmarks and the demo, not the product: the wheel leaves this package out
(setup.cfg), a checkout installed for development (`pip install -e`) has it."""
