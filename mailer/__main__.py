"""``python -m mailer``: see :mod:`mailer.cli`."""

import sys

from mailer.cli import main

sys.exit(main())
