"""The ``tongban`` command: every manage.py command plus Tongban's own.

``tongban serve``, ``tongban demo``, ``tongban regions load`` and ``tongban catalog
import|export`` are management commands, so ``tongban <anything>`` is simply Django's
command-line utility with the settings module preset.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tongban", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
