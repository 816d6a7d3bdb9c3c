"""The ``[sharing]`` table (engine/config/sharing.py): what it reads, and every broken table
refused naming the file, the key, what was expected and what was found."""

from __future__ import annotations

import pytest

from engine.config.cluster import parse_cluster
from engine.config.document import cluster_of, document_of
from engine.config.sharing import ALLOCATIONS, KEYS, SharingRules
from tests.engine.config.test_cluster import BASE, error_of


def test_without_a_sharing_table_the_market_allocates_alone() -> None:
    rules = parse_cluster(BASE).sharing
    assert rules == SharingRules() and not rules.shares and rules.allocation == "market"


def test_a_sharing_table_reads_the_allocation_the_key_and_its_parameters() -> None:
    c = parse_cluster(
        BASE
        + '[sharing]\nallocation = "key_then_market"\nkey = "iterative"\nrounds = 2\n'
        + 'price_pln_mwh = "412.50"\npercentages = { "szkola-1" = "62.5", oke = 10 }\n'
    )
    assert c.sharing == SharingRules(
        "key_then_market", "iterative", (("szkola-1", 625_000), ("oke", 100_000)), (), 2, 41250
    )
    priority = parse_cluster(
        BASE + '[sharing]\nallocation = "key"\nkey = "priority"\npriority = ["szkola-1", "oke"]\n'
    ).sharing
    assert (priority.key, priority.priority, priority.price_ticks) == (
        "priority",
        ("szkola-1", "oke"),
        None,
    )
    assert parse_cluster(BASE + '[sharing]\nallocation = "key"\n').sharing.key == "pro-rata"


def test_the_sharing_rules_ride_with_the_journaled_document() -> None:
    c = parse_cluster(BASE + '[sharing]\nallocation = "market_then_key"\nprice_pln_mwh = "0"\n')
    document, files = document_of(c)
    assert cluster_of(document, files, "journal").sharing == c.sharing


def test_the_names_are_the_kernels_names() -> None:
    from matching.sharing import KEYS as KERNEL_KEYS

    assert KEYS == KERNEL_KEYS and ALLOCATIONS[0] == "market"


@pytest.mark.parametrize(
    "table, message",
    [
        (
            'allocation = "both"',
            "sharing.allocation must be one of market, key, key_then_market, market_then_key, "
            'was "both"',
        ),
        ('key = "lottery"', "sharing.key must be one of static, pro-rata, priority, iterative"),
        ('key = "static"', "sharing.percentages is required"),
        (
            'key = "static"\npercentages = { nobody = "10" }',
            'sharing.percentages.nobody: "nobody" is not a member of the cluster',
        ),
        (
            'key = "static"\npercentages = { oke = "60", "szkola-1" = "50" }',
            "sharing.percentages must total at most 100, total 110",
        ),
        (
            'key = "static"\npercentages = { oke = "12.34567" }',
            "sharing.percentages.oke must be a decimal percentage in 0..100 with at most 4 "
            'decimals such as "12.5", was "12.34567"',
        ),
        (
            'key = "pro-rata"\npercentages = { oke = "10" }',
            'sharing.percentages is for the static and iterative key, not "pro-rata"',
        ),
        ('key = "priority"\npriority = []', "sharing.priority must be a non-empty array"),
        (
            'key = "priority"\npriority = ["oke", "oke"]',
            'sharing.priority names "oke" more than once',
        ),
        ("rounds = 2", 'sharing.rounds is for the iterative key, not "pro-rata"'),
        (
            'key = "iterative"\npercentages = { oke = "1" }\nrounds = 0',
            "sharing.rounds must be an integer >= 1, was 0",
        ),
        ('price_pln_mwh = "-1.00"', "sharing.price_pln_mwh must be within 0.."),
        (
            'price_pln_mwh = "1.001"',
            "sharing.price_pln_mwh must be a whole number of ticks of 0.01 PLN/MWh",
        ),
        ('keys = "static"', 'unknown key "sharing.keys" (did you mean "sharing.key"?)'),
    ],
)
def test_a_broken_sharing_table_is_refused_naming_the_key(table: str, message: str) -> None:
    assert message in error_of(BASE + "[sharing]\n" + table + "\n")
    assert error_of(BASE + "[sharing]\n" + table + "\n").startswith("zywiec.toml: ")
