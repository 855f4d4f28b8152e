"""products search index (SQLite)

The catalogue's live search matches SKU, name or description as a substring. Without an index that is a
scan of every product per keystroke (~13 ms over 10,000 products when few match). On SQLite an FTS5 table
with the trigram tokenizer indexes every three-character sequence of the three columns (case-insensitive),
kept in step with ``products`` by triggers; searches of three characters or more use it (shorter ones
still scan). PostgreSQL keeps its ILIKE (pg_trgm is the counterpart there, not in every build).

A later batch migration on ``products`` (SQLite copies and renames the table) drops these triggers:
it must create them again (``create_triggers``). tests/web/test_catalogue.py checks they work.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 10:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TRIGGERS = (
    """CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
         INSERT INTO products_search(rowid, sku, name, description) VALUES (new.id, new.sku, new.name, new.description);
       END""",
    """CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
         INSERT INTO products_search(products_search, rowid, sku, name, description)
         VALUES ('delete', old.id, old.sku, old.name, old.description);
       END""",
    # only when a searched column changes: stock and price updates leave the index alone
    """CREATE TRIGGER products_search_update AFTER UPDATE OF sku, name, description ON products BEGIN
         INSERT INTO products_search(products_search, rowid, sku, name, description)
         VALUES ('delete', old.id, old.sku, old.name, old.description);
         INSERT INTO products_search(rowid, sku, name, description) VALUES (new.id, new.sku, new.name, new.description);
       END""",
)


def create_triggers():
    for statement in TRIGGERS:
        op.execute(statement)


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE VIRTUAL TABLE products_search USING fts5(sku, name, description, content='products', "
               "content_rowid='id', tokenize='trigram')")
    create_triggers()
    op.execute("INSERT INTO products_search(products_search) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("products_search_insert", "products_search_delete", "products_search_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS products_search")
