"""Match-review fixtures: the blacklist's vehicles, pass, test and repair posters."""

from tests.blacklist.conftest import post_pass, post_repair, post_test, vehicle  # noqa: F401  (fixtures)
