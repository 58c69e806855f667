"""I/O of Credit Guard: ERP adapters, sync, store, write-back and the command line."""
