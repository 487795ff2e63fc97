"""jieba 0.42 is compiled with SyntaxWarnings under Python 3.12 ("invalid escape sequence"); a
process that loads the search analysis must not print them (issue 11, papercut)."""

import os
import subprocess
import sys

LOAD = "import django; django.setup(); from tongban.catalog.search import analysis; analysis.tokenizer()"


def _run(code: str, pycache: str) -> str:
    """stderr of ``code`` in a fresh interpreter that must compile every module from source
    (an empty pycache prefix, nothing written), as a start without .pyc files does."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tongban.settings",
        "PYTHONPYCACHEPREFIX": pycache,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stderr


def test_jieba_itself_warns_when_compiled(tmp_path):
    """The control: without Tongban's filter, this jieba does warn (else the test below proves nothing)."""
    assert "SyntaxWarning" in _run("import jieba", str(tmp_path))


def test_loading_the_search_analysis_prints_no_syntax_warning(tmp_path):
    assert "SyntaxWarning" not in _run(LOAD, str(tmp_path))
