"""WSGI entry point: `gunicorn atendo.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atendo.settings")
application = get_wsgi_application()
