from __future__ import annotations

from tests import factories


def test_the_start_page_lists_regions_with_their_counts_and_demo_logins(client, world):
    factories.PlacementRequestFactory(school=world.school)
    factories.PlekFactory(location=factories.LocationFactory(organisation=world.care))

    response = client.get("/")

    assert response.status_code == 200
    rows = {r.name: r for r in response.context["regions"]}
    utrecht = rows["Utrecht"]
    # Two schools, two care organisations, one open request, one published plek.
    assert (utrecht.n_schools, utrecht.n_care, utrecht.n_open_requests, utrecht.n_plekken) == (
        2,
        2,
        1,
        1,
    )
    assert b"alice" in response.content
