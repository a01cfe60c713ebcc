"""``python -m coolchic_cli``: same as the installed ``coolchic`` command."""

from coolchic_cli.main import main

raise SystemExit(main())
