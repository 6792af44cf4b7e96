"""Extension objects, created unbound and initialised in create_app."""

from typing import TYPE_CHECKING, ClassVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from vehicle_enforce.core.db import Base

db = SQLAlchemy(model_class=Base)

# The base class of every model. At run time it is db.Model, which Flask-SQLAlchemy builds from Base
# (binds, table names, the metadata); mypy cannot take an attribute as a base class (mypy issue 8603),
# so it is told the part it can check: a declarative class on Base, mapped to a Table (every model
# declares its table; none maps a join or a select).
if TYPE_CHECKING:
    from sqlalchemy import Table

    class Model(Base):
        __abstract__ = True
        __table__: ClassVar[Table]

else:
    Model = db.Model

csrf = CSRFProtect()
# Storage from RATELIMIT_STORAGE_URI (set from VE_RATELIMIT_STORAGE_URL); only the login is limited.
# The client address is the socket's, or the one ProxyFix derived when VE_PROXY_COUNT trusts proxies.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True)
