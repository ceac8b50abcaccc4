"""The benchmark's bots as ``tgserve serve`` targets (``served_bots.py:plain`` or ``:ptb``);
the Bot API URL comes from ``TGSERVE_API_URL``, as every worker process reads it."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import plain_bot, ptb_application

plain = plain_bot()
ptb = ptb_application(os.environ["TGSERVE_API_URL"])
