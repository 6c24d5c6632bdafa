"""The review notebooks' helpers. They live in the library (``riverfish.review``, with
its tests); this module keeps ``import review`` in the notebooks working."""

from riverfish.review import *  # noqa: F403
