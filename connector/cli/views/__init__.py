"""What the commands show people and programs: terminal text (terminal.py), a sync or a cycle (cycle.py, its
insurer part insurer.py), an evaluation (evaluation.py), the analytics (analytics.py) and their HTML (html.py)."""
