"""Benchmarks: speed, scale and payload figures, each against its target (issue #9).

    python -m benchmarks [--tiny] [--json PATH] [--only 1,2,...]
    coach-image-tools bench           # the same, from a source checkout

Items: 1 cold start, 2 overhead per call by stage, 3 concurrency and event-loop stalls,
4 dog-avatar cache, 5 dog validation vs the seed, 6 payload per tool, 7 peak memory.
They need the source checkout (the tests' fake provider in tests/fakes) and the dev extras.
"""
