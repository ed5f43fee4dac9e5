"""Issue 16 on the production shape: with Redis each event loads only its own branch of the state tree, and
two workers serve the tab, yet signing out still leaves nothing of the subscriber for a reload."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Journey
from tests.e2e.test_nothing_left_in_the_tab import a_subscriber_pays_signs_out_and_reloads

pytestmark = pytest.mark.e2e


def test_with_redis_and_two_workers_a_reloaded_tab_holds_nothing_of_who_signed_out(journey: Journey) -> None:
    a_subscriber_pays_signs_out_and_reloads(journey, "prod_shape_leaves")
