"""Staff accounts: hashed passwords, session login, CSRF for every staff action, throttling."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache, wraps

from flask import Flask, current_app, jsonify
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

from .domain.model import Invalid
from .operations import Actor

ROLES = ("clerk", "admin")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 6

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", default_limits=[])


@dataclass
class StaffUser(UserMixin):
    id: int
    username: str
    display_name: str
    role: str
    stamp: str = ""  # from the password hash: a new password ends every older session

    def get_id(self) -> str:
        return f"{self.id}.{self.stamp}"

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.display_name, self.role)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "username": self.username,
            "name": self.display_name,
            "role": self.role,
        }


def _stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _user_from_row(row) -> StaffUser | None:
    if row is None or not row.active:
        return None
    return StaffUser(row.id, row.username, row.display_name, row.role, _stamp(row.password_hash))


def user_by_id(store, user_id: int) -> StaffUser | None:
    """The account as it is now (None if unknown or disabled)."""
    with store.read() as tx:
        return _user_from_row(tx.user(user_id))


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def validate_new_user(username: str, password: str, role: str) -> None:
    if not USERNAME_RE.match(username or ""):
        raise Invalid("The user name may use letters, digits and . _ @ - (at most 64).")
    if role not in ROLES:
        raise Invalid(f"The role must be one of {', '.join(ROLES)}.")
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(f"The password needs at least {MIN_PASSWORD} characters.")


@cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so a wrong name costs as long as a wrong
    password. Made on first use: hashing at import would cost every process start 0.1 s."""
    return generate_password_hash("not a password")


def authenticate(store, username: str, password: str) -> StaffUser | None:
    with store.read() as tx:
        row = tx.user_by_name(username)
    if row is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(row.password_hash, password):
        return None
    return _user_from_row(row)


def init_auth(app: Flask, store) -> None:
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked per staff action, after the login check
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: a clerk works all day
        # Over HTTPS Flask-WTF would also demand a same-origin Referer, which the pages never
        # send (Referrer-Policy: no-referrer): every staff action would fail. The token is
        # bound to the signed session cookie (SameSite=Lax), which is the protection.
        WTF_CSRF_SSL_STRICT=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, stamp = session_id.partition(".")
        if not user_id.isdecimal() or len(user_id) > 10:
            return None
        user = user_by_id(store, int(user_id))
        # A session from before the last password change (or reset) is no longer valid.
        return user if user is not None and user.stamp == stamp else None

    @login_manager.unauthorized_handler
    def unauthorized():
        return jsonify(error="login_required", message="Please log in."), 401


def staff_required(role: str | None = None, check_csrf: bool = True):
    """Logged in (401 otherwise), the right role (403) and, for changes, a CSRF token (403)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if role and current_user.role != role:
                return jsonify(error="forbidden", message="Your role may not do this."), 403
            if check_csrf:
                csrf.protect()
            return view(*args, **kwargs)

        return wrapper

    return decorate
