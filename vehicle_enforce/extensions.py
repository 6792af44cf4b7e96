"""Extension objects, created unbound and initialised in create_app."""

from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from vehicle_enforce.core.db import Base

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
