"""Match-review fixtures: the blacklist's vehicles, pass and test posters."""

from tests.blacklist.conftest import post_pass, post_test, vehicle  # noqa: F401  (fixtures)
