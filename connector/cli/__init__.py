"""The `creditguard` commands (main.py; insurer.py and analytics.py for theirs), the file commands' work on every
core (batch.py, analytics_batch.py), and what they show (views/)."""
