"""Django settings of the CAS server AVEC's tests log in against.

tests/lib/cas.sh runs Debian's django-cas-server with these settings,
behind gunicorn over HTTPS on loopback.  Users come from the test slapd
(LdapAuthUser, password checked by binding as the user); nothing here is
fit for production: the secret key comes from the test run, the database
is a throw-away sqlite file in the test's scratch directory.

Environment (all set by cas_start):
  AVEC_CAS_DB          path of the sqlite database
  AVEC_CAS_LDAP_URI    ldap://127.0.0.1:PORT/ of the test slapd
  AVEC_CAS_SECRET_KEY  Django's secret key for this run
  AVEC_CAS_ALLOWED_HOSTS  optional: more host names it answers to,
                       space-separated (the VM test's name for it)
"""
import os

SECRET_KEY = os.environ["AVEC_CAS_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"] + os.environ.get("AVEC_CAS_ALLOWED_HOSTS", "").split()

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "cas_server",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "avec_cas.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "avec_cas.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["AVEC_CAS_DB"],
    }
}

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
USE_I18N = True
USE_L10N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"

STATIC_URL = "/static/"

# the cookies travel over HTTPS only, as they would in front of AVEC
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# no e-mail, no call to the outside world
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False

# the people of the test directory: searched anonymously, password checked
# by binding as the person found
CAS_AUTH_CLASS = "cas_server.auth.LdapAuthUser"
CAS_LDAP_SERVER = os.environ["AVEC_CAS_LDAP_URI"]
CAS_LDAP_USER = None
CAS_LDAP_PASSWORD = None
CAS_LDAP_BASE_DN = "ou=people,dc=esco-centre,dc=fr"
CAS_LDAP_USER_QUERY = "(ENTPersonLogin=%s)"
# the login stays the CAS user name: the backend looks the person up again
# by it (with CAS_LDAP_USER_QUERY) whenever it needs the attributes.  The
# service pattern sends uid as the principal (user_field).
CAS_LDAP_USERNAME_ATTR = "ENTPersonLogin"
CAS_LDAP_PASSWORD_CHECK = "bind"
CAS_LDAP_ATTRS_VIEW = 0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "cas_server": {"handlers": ["stderr"], "level": "INFO"},
        "django": {"handlers": ["stderr"], "level": "WARNING"},
    },
}
