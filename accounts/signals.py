"""A deactivation ends every session, however it is made: `services.user_deactivate`, the admin site, a
`user.save()` in the shell or a command. (A queryset `.update(is_active=False)` bypasses saves and
signals: call `services.user_sessions_end` for each user after one.)"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import User
from .services import user_sessions_end


@receiver(post_save, sender=User, dispatch_uid="accounts.sessions_end_on_deactivation")
def sessions_end_on_deactivation(sender: type[User], instance: User, created: bool, **kwargs: object) -> None:
    was_active = getattr(instance, "_active_in_db", None)  # None: built in memory, not loaded: assume it was
    instance._active_in_db = instance.is_active
    if created or instance.is_active or was_active is False:
        return
    user_sessions_end(user=instance)
