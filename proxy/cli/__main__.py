"""`python -m proxy.cli`: the `smsproxy` command."""

import sys

from proxy.cli.main import main

sys.exit(main())
