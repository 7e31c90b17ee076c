"""Private aliases a fetch used go back under the client's response keys before merging."""

from __future__ import annotations

from router.execution.merge import rename_back
from router.planning.plan import LIST, Rename, type_condition


def test_an_alias_under_a_type_condition_is_renamed_back_in_every_list_item() -> None:
    data = {
        "accounts": [
            {"__typename": "User", "id": "u1", "__sg_id_User": "u1"},
            {"__typename": "Admin", "id": None},
            {"__typename": "User", "__sg_id_User": "u2"},
        ]
    }

    rename_back(data, [Rename(("accounts", LIST, type_condition("User")), "__sg_id_User", "id")])

    assert data == {
        "accounts": [
            {"__typename": "User", "id": "u1"},
            {"__typename": "Admin", "id": None},
            {"__typename": "User", "id": "u2"},
        ]
    }


def test_an_aliased_object_merges_into_the_one_under_the_key() -> None:
    entity = {"__typename": "Shop", "owner": {"name": "Ann"}, "__sg_owner_Shop": {"id": "1"}}

    rename_back(entity, [Rename((type_condition("Shop"),), "__sg_owner_Shop", "owner")])

    assert entity == {"__typename": "Shop", "owner": {"name": "Ann", "id": "1"}}
