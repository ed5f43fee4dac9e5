"""reflex-local-auth's two tables and its password hashing, loaded without the package's states and pages.

Importing `reflex_local_auth` runs its `__init__`, which defines `LocalAuthState`, `LoginState` and
`RegistrationState`: Reflex adds every state class it sees to the app's one state tree. In our tree they
were public endpoints nobody meant to publish (a sign-in and a sign-up that skip our throttles and checks)
and a database query on every hydrate of every page (`authenticated_user`, with an empty token). So the
package is registered here as a bare namespace over its own folder, and only `user` and `auth_session`,
which need nothing but SQLModel and bcrypt, are imported from it. A later `import reflex_local_auth`
anywhere gets that bare package too: its states cannot come back in by accident.
"""

from __future__ import annotations

import importlib.util
import sys
import types

_PACKAGE = "reflex_local_auth"


def _bare_package() -> None:
    if _PACKAGE in sys.modules:
        if hasattr(sys.modules[_PACKAGE], "LocalAuthState"):
            raise RuntimeError(
                "reflex_local_auth was imported in full before khalti_portal.db: its states would be public "
                "endpoints of this app. Import its tables from khalti_portal.db.models instead."
            )
        return
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError("reflex-local-auth is not installed (see requirements.txt)")
    package = types.ModuleType(_PACKAGE, "reflex-local-auth's tables only (see khalti_portal.db.local_auth)")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = importlib.util.spec_from_loader(_PACKAGE, loader=None, is_package=True)
    package.__spec__.submodule_search_locations = package.__path__
    sys.modules[_PACKAGE] = package


_bare_package()

from reflex_local_auth.auth_session import LocalAuthSession  # noqa: E402
from reflex_local_auth.user import LocalUser  # noqa: E402

__all__ = ["LocalAuthSession", "LocalUser"]
