"""What every resolver of one API request sees (Strawberry's ``info.context``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from camgate.api.devices.backend import DeviceBackend
from camgate.api.media import MediaSigner
from camgate.domain import Role, TokenPrincipal
from camgate.store.database import Database
from camgate.store.devices import Viewer


@dataclass(frozen=True, slots=True)
class ApiContext:
    principal: TokenPrincipal  # validated for this very request (no cached validity)
    db: Database
    backend: DeviceBackend
    media: MediaSigner
    now: datetime

    @property
    def viewer(self) -> Viewer:
        """The cameras this request may touch: the user's organization, and a guest's own list."""
        user = self.principal.user
        return Viewer(user.organization_id, user.id if user.role is Role.GUEST else None)
