"""Settings as a production process sees them: a fresh interpreter with only the given environment."""

import json
import os
import subprocess
import sys


def fresh_settings(expression: str, **env: str):
    """``expression`` (Python, with ``settings`` loaded) evaluated in a new interpreter whose
    environment has no ``TONGBAN_*`` variables or ``DATABASE_URL`` except those in ``env``;
    the value comes back through JSON."""
    code = f"import json, django; from django.conf import settings; django.setup(); print(json.dumps({expression}))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "tongban.settings", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
