"""``python -m tgserve``: the same as the ``tgserve`` command."""

from tgserve.cli import main

raise SystemExit(main())
