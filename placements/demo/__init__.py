"""The demo regions for `manage.py seed_demo`: static data (data.py), generator (builder.py)."""
