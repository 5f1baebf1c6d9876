"""Lambda's bootstrap in miniature, run as ``python -I -S rehearsal_bootstrap.py`` by the rehearsal test.

``-I -S`` leaves the interpreter with the standard library only: no site-packages, no
``PYTHONPATH``, not even this file's folder (``-X pycache_prefix`` keeps bytecode out of the
assembly). The import path then gets exactly the folders the test names (the function's code
asset, then its layers, as Lambda orders ``/var/task`` and ``/opt/python``), the handler named by
the template is imported and called once. Standard library only, by necessity: nothing else is
importable until the path is set.

Input (stdin, JSON): ``path``, ``handler``, ``event``, ``context`` (Lambda context fields) and
``result_file``. The handler's return value and the final ``sys.path`` are written to
``result_file``; stdout stays free for the function's own logs and metrics.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.function_name: str = fields["function_name"]
        self.function_version: str = fields["function_version"]
        self.invoked_function_arn: str = fields["invoked_function_arn"]
        self.memory_limit_in_mb: int = int(fields["memory_limit_in_mb"])
        self.aws_request_id: str = fields["aws_request_id"]
        self.log_group_name: str = fields["log_group_name"]
        self.log_stream_name: str = fields["log_stream_name"]

    def get_remaining_time_in_millis(self) -> int:
        """Time left before the function's timeout (constant here: no timeout is enforced)."""
        return 30_000


def main() -> None:
    """Set the import path, import the handler as Lambda does, invoke it, write the outcome."""
    request = json.loads(sys.stdin.read())
    sys.path[:0] = request["path"]
    module_name, _, attribute = request["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    result = handler(request["event"], LambdaContext(request["context"]))
    outcome = {"result": result, "sys_path": sys.path}
    Path(request["result_file"]).write_text(json.dumps(outcome, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
