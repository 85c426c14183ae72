"""votr's Alembic environment and revision scripts, installed as `votr_cli.alembic`."""
