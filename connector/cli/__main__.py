"""`python -m creditguard.connector.cli`: the `creditguard` command."""
import sys

from creditguard.connector.cli.main import main

sys.exit(main())
