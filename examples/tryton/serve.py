"""`make tryton`: keep an embedded, real Tryton 8.2 running with demo books, and a config that works.

It sets Tryton up when missing (.tryton/, about 40 s the first time), starts it on 127.0.0.1 with a fresh
database `demo` seeded like `make demo`, writes .creditguard/tryton/creditguard.toml (the connector's user
and password included) and waits until Ctrl-C. The README's "Running against Tryton" commands use that config."""
import signal
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "tryton"))

from books import Books  # noqa: E402
from demo import seed, write_config  # noqa: E402

from creditguard.connector.testing.tryton import USERS, EmbeddedTryton  # noqa: E402

WORK = REPO / ".creditguard" / "tryton"


def _stop(signum, frame):
    raise KeyboardInterrupt


def main():
    signal.signal(signal.SIGTERM, _stop)
    tryton = EmbeddedTryton(progress=lambda text: print(text, flush=True))
    if tryton.is_set_up():
        print("Reusing the Tryton 8.2 set up in .tryton/", flush=True)
    else:
        print("Setting up Tryton 8.2 (first run only, about a minute: a virtualenv and a template database in "
              ".tryton/) ...", flush=True)
    tryton.setup()
    with tryton.start(["demo"]) as server:
        seed(Books(server.client("demo", "admin")))
        config = write_config(server.url, "demo", WORK, password=USERS["connector"])
        print(f"\nTryton is running at {server.url}, database 'demo' (users: admin, sales, connector)")
        print(f"config: {config.relative_to(REPO)}")
        print("Try:  .venv/bin/creditguard run --config .creditguard/tryton/creditguard.toml --once --dry-run")
        print("Stop with Ctrl-C.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopping Tryton", flush=True)


if __name__ == "__main__":
    main()
