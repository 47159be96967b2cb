"""Writes for clients and users."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import CLIENT_ROLES, Client, Role, User


def _check_role_client(role: str, client: Client | None) -> None:
    if role in CLIENT_ROLES and client is None:
        raise ValidationError({"client": ["A client user needs a client."]})
    if role not in CLIENT_ROLES and client is not None:
        raise ValidationError({"client": ["CMO staff (project managers, leadership, admins) have no client."]})


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    role: str,
    client: Client | None = None,
    email: str = "",
    full_name: str = "",
) -> User:
    """Create a portal user; admins are Django staff so they reach /admin/."""
    _check_role_client(role, client)
    user = User(
        username=username,
        email=email,
        full_name=full_name,
        role=role,
        client=client,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def client_create(*, actor: User | None, name: str, slug: str, active: bool = True) -> Client:
    client = Client(name=name, slug=slug, active=active)
    client.full_clean()
    client.save()
    return client
