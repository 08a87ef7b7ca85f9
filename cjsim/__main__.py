"""``python -m cjsim`` runs the command line."""

import sys

from cjsim.cli import main

sys.exit(main())
