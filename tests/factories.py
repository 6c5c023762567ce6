"""factory_boy factories for the models, flushed into the test's transaction."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from lms.accounts.models import Organisation, Role, User, UserRole
from lms.accounts.passwords import hash_password
from lms.db import db
from tests.conftest import PASSWORD, TEST_PASSWORD_HASH_METHOD

_PASSWORD_HASH = hash_password(PASSWORD, TEST_PASSWORD_HASH_METHOD)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Innovation Agency {n}")
    country = "DE"
    region = "Saxony-Anhalt"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
    password_hash = _PASSWORD_HASH
    active = True
    organisation = factory.SubFactory(OrganisationFactory)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        for role in extracted if extracted is not None else [Role.TRAINEE]:
            self.role_rows.append(UserRole(role=role))
        if create:
            db.session.flush()

    class Params:
        invited = factory.Trait(password_hash=None)


def trainee(**kwargs: object) -> User:
    return UserFactory(roles=[Role.TRAINEE], **kwargs)


def trainer(**kwargs: object) -> User:
    return UserFactory(roles=[Role.TRAINER], **kwargs)


def admin(**kwargs: object) -> User:
    return UserFactory(roles=[Role.ADMIN], **kwargs)
