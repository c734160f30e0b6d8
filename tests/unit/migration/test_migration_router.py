"""The router: stable, monotonic buckets that split orgs close to the target share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from senso_cli.migration.router import bucket, moved, route, split, target_for

ORG_IDS = [str(uuid.UUID(int=n * 7919 + 12345)) for n in range(10_000)]
SALT = "senso-org-evaluation"


@dataclass(frozen=True)
class Stage:
    percent: float
    salt: str = SALT


def test_bucket_is_stable_and_in_range() -> None:
    first = [bucket(org, SALT) for org in ORG_IDS]
    assert first == [bucket(org, SALT) for org in ORG_IDS]
    assert all(0 <= value < 1 for value in first)
    assert bucket(uuid.UUID(ORG_IDS[0]), SALT) == first[0]
    # A different salt is a different shuffle.
    assert [bucket(org, "other") for org in ORG_IDS[:50]] != first[:50]


def test_split_is_within_one_point_of_the_target() -> None:
    for percent in (10, 50, 90):
        share = split(ORG_IDS, percent, SALT).sfn_share
        assert abs(share * 100 - percent) <= 1, (percent, share)
    assert split(ORG_IDS, 0, SALT).sfn == []
    assert split(ORG_IDS, 100, SALT).inngest == []


def test_raising_the_percentage_never_moves_an_org_back() -> None:
    previous = set(split(ORG_IDS, 0, SALT).sfn)
    for percent in (1, 5, 10, 25, 50, 75, 90, 99, 100):
        current = set(split(ORG_IDS, percent, SALT).sfn)
        assert previous <= current, percent
        assert moved(ORG_IDS, SALT, percent, percent) == []
        previous = current
    assert len(previous) == len(ORG_IDS)


def test_moved_is_exactly_the_difference() -> None:
    at_10 = set(split(ORG_IDS, 10, SALT).sfn)
    at_50 = set(split(ORG_IDS, 50, SALT).sfn)
    assert set(moved(ORG_IDS, SALT, 10, 50)) == at_50 - at_10
    assert set(moved(ORG_IDS, SALT, 50, 10)) == at_50 - at_10


def test_route_follows_the_stage_and_the_override_wins() -> None:
    org = ORG_IDS[0]
    assert route(org, Stage(0)) == "inngest"
    assert route(org, Stage(100)) == "sfn"
    assert route(org, Stage(0), override="sfn") == "sfn"
    assert route(org, Stage(100), override="inngest") == "inngest"
    assert route(org, Stage(37)) == target_for(org, 37, SALT)


@given(
    org=st.uuids().map(str) | st.text(min_size=1, max_size=40),
    salt=st.text(min_size=1, max_size=20),
    low=st.floats(min_value=0, max_value=100),
    high=st.floats(min_value=0, max_value=100),
)
def test_monotonic_for_any_org_salt_and_pair_of_percentages(
    org: str, salt: str, low: float, high: float
) -> None:
    low, high = sorted((low, high))
    if target_for(org, low, salt) == "sfn":
        assert target_for(org, high, salt) == "sfn"
    if target_for(org, high, salt) == "inngest":
        assert target_for(org, low, salt) == "inngest"
