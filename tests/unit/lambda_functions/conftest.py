"""The Lambda functions' packages are imported the way Lambda does: from their folder."""

import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[3] / "aws" / "lambda_functions"
if str(FUNCTIONS) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS))
