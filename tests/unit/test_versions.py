"""Data versions: every committed write to a table increments its version, however it was written; a rolled
back write and a savepoint on its own do not."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, update

from portal.catalogue.models import Category, Tier
from portal.core import versions
from tests import factories


def category_version() -> int:
    return versions.current(Category)[0]


@pytest.mark.pg
def test_an_insert_update_and_delete_through_the_orm_each_increment_the_table_s_version(db):
    start = category_version()
    row = Category(name="Versioned")
    db.session.add(row)
    db.session.commit()
    assert category_version() == start + 1
    row.name = "Versioned again"
    db.session.commit()
    assert category_version() == start + 2
    db.session.delete(row)
    db.session.commit()
    assert category_version() == start + 3


@pytest.mark.pg
def test_bulk_statements_and_core_inserts_increment_too(db):
    start = category_version()
    db.session.execute(insert(Category).values(name="Bulk one"))
    db.session.commit()
    db.session.execute(update(Category).where(Category.name == "Bulk one").values(name="Bulk two"))
    db.session.commit()
    db.session.connection().execute(insert(Category.__table__).values(name="Core one"))
    db.session.commit()
    db.session.execute(delete(Category).where(Category.name.in_(["Bulk two", "Core one"])))
    db.session.commit()
    assert category_version() == start + 4


@pytest.mark.pg
def test_one_commit_increments_each_table_it_wrote_once_and_no_other(db):
    tier_start, category_start = versions.current(Tier, Category)
    db.session.add_all([Tier(name="V tier", rank=1, discount_bp=0), Category(name="V one"), Category(name="V two")])
    factories.vendor()  # users
    db.session.commit()
    assert versions.current(Tier, Category) == (tier_start + 1, category_start + 1)


@pytest.mark.pg
def test_a_rolled_back_write_leaves_the_version_and_a_commit_without_writes_too(db):
    start = category_version()
    db.session.add(Category(name="Never"))
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert category_version() == start


@pytest.mark.pg
def test_a_savepoint_increments_only_when_the_whole_transaction_commits(db):
    start = category_version()
    with db.session.begin_nested():
        db.session.add(Category(name="Nested"))
    assert category_version() == start  # the savepoint is released, the transaction still open
    db.session.commit()
    assert category_version() == start + 1


def test_a_table_never_written_has_version_zero(db):
    from portal.orders.models import Setting

    assert versions.current(Setting) == (0,)
