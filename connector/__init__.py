"""I/O of Credit Guard, in rooms by role: erp/ (the contract and one adapter per ERP), cycle/ (read, evaluate,
plan, write; the service), cli/ (the commands and their views/), insurer/ (the trade-credit insurer), config.py and
http.py (the config file, the one HTTP client); testing/ holds the harnesses of the tests and is not installed."""
