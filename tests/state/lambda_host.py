"""A Lambda handler process: one JSON event per stdin line, one JSON result per stdout line.

As an AWS Lambda instance: one invocation at a time, the loop kept between them.
"""

from __future__ import annotations

import json
import sys

import tgserve
from tests.state.procbot import application


def main() -> None:
    handler = tgserve.aws_lambda(application)
    from tgserve._hosts.lambda_samples import LocalContext

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        result = handler(json.loads(line), LocalContext(10))
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
