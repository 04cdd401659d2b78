"""WSGI entry point gunicorn serves (tests/lib/cas.sh)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avec_cas.settings")
application = get_wsgi_application()
