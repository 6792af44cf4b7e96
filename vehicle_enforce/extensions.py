"""Extension objects, created unbound and initialised in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from vehicle_enforce.core.db import Base

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
# Storage from RATELIMIT_STORAGE_URI (set from VE_RATELIMIT_STORAGE_URL); only the login is limited.
# The client address is the socket's, or the one ProxyFix derived when VE_PROXY_COUNT trusts proxies.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True)
