"""``python -m local`` (``make run``): see :mod:`local.runtime`."""

import os
import sys

from local.runtime import main

status = main()
sys.stdout.flush()
sys.stderr.flush()
# Everything is stopped by now; tearing down the interpreter (moto's object graph) would only add
# a second or two before the process is gone, which scripts waiting on the exit would feel.
os._exit(status)
