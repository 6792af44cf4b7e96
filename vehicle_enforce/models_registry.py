"""Import every domain's models so Alembic and the test suite see the whole schema.

Add a line here when a domain gains a models module. Models only: nothing is wired by importing this
(signal receivers, tasks and session hooks are connected by each domain's `init_app`, from `create_app`).
"""

from vehicle_enforce.alerts import models as alerts_models  # noqa: F401
from vehicle_enforce.auth import models as auth_models  # noqa: F401
from vehicle_enforce.blacklist import models as blacklist_models  # noqa: F401
from vehicle_enforce.cases import models as cases_models  # noqa: F401
from vehicle_enforce.cases import workdays as cases_workdays  # noqa: F401  (holiday calendar tables)
from vehicle_enforce.core import audit  # noqa: F401  (audit log table)
from vehicle_enforce.core import jobs as core_jobs  # noqa: F401  (jobs table)
from vehicle_enforce.dashboards import models as dashboards_models  # noqa: F401
from vehicle_enforce.documents import models as documents_models  # noqa: F401
from vehicle_enforce.exports import models as exports_models  # noqa: F401
from vehicle_enforce.inspections import models as inspections_models  # noqa: F401
from vehicle_enforce.nrmm import models as nrmm_models  # noqa: F401
from vehicle_enforce.phaseout import models as phaseout_models  # noqa: F401
from vehicle_enforce.reviews import models as reviews_models  # noqa: F401
from vehicle_enforce.vehicles import models as vehicles_models  # noqa: F401
