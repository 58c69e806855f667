"""The cycle's engine room: one cycle (run.py), the sync that reads the ERP (sync.py), the planner of writes
(planner.py), the local state (store.py) and the long-running service (serve.py)."""
