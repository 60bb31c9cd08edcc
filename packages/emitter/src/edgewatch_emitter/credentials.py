"""Frozen credentials for signing, resolved and refreshed in a worker thread.

The standard AWS chain may read files, call the instance metadata service or SSO, and a
refreshable credential may call STS when it nears expiry: all blocking I/O. The event loop only
ever reads an already-frozen ``ReadOnlyCredentials``; resolution and refresh run in
``asyncio.to_thread`` behind a lock, so concurrent senders trigger one refresh, not many.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

import botocore.session
from botocore.credentials import Credentials, ReadOnlyCredentials

CredentialsInput: TypeAlias = Credentials | tuple[str, str] | tuple[str, str, str | None] | None
T = TypeVar("T")


async def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a worker thread; inline once the interpreter refuses new threads (exit).

    At interpreter exit (an atexit flush) ``asyncio.to_thread`` raises: the last flush must
    still be able to sign, so it resolves on the calling thread then.
    """
    try:
        return await asyncio.to_thread(fn, *args)
    except RuntimeError as exc:
        if "shutdown" not in str(exc):
            raise
        return fn(*args)


class CredentialUnavailable(Exception):
    """No credentials could be found or refreshed (the message names no secret)."""


class CredentialSource:
    def __init__(self, credentials: CredentialsInput = None, profile: str | None = None) -> None:
        self._profile = profile
        self._static: ReadOnlyCredentials | None = None
        self._provider: Credentials | None = None
        if isinstance(credentials, tuple):
            key, secret, *rest = credentials
            self._static = ReadOnlyCredentials(key, secret, rest[0] if rest else None)
        elif credentials is not None:
            self._provider = credentials
        self._from_chain = credentials is None
        self._frozen: ReadOnlyCredentials | None = self._static
        self._force_refresh = False
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:  # never print keys
        kind = "static" if self._static else "provider" if self._provider else "chain"
        return f"CredentialSource({kind})"

    def _needs_refresh(self) -> bool:
        if self._frozen is None:
            return True
        provider = self._provider
        refresh_needed = getattr(provider, "refresh_needed", None)
        return bool(refresh_needed and refresh_needed())

    def current(self) -> ReadOnlyCredentials | None:
        """The frozen credentials if nothing needs refreshing (no await); else None."""
        return None if self._needs_refresh() else self._frozen

    async def get(self) -> ReadOnlyCredentials:
        """Frozen credentials, cheap when nothing needs refreshing."""
        if not self._needs_refresh():
            assert self._frozen is not None
            return self._frozen
        async with self._lock:
            if self._needs_refresh():
                self._frozen = await run_blocking(self._resolve_blocking)
        assert self._frozen is not None
        return self._frozen

    def invalidate(self) -> None:
        """The endpoint said the credentials expired: resolve again before the next request.

        A refreshable provider is refreshed even if its own expiry says the credentials are
        still good (a revoked session, a rotated container role, a skewed expiry): asking it
        for frozen credentials again would hand back the rejected ones.
        """
        if self._static is None:
            self._frozen = None
            self._force_refresh = True
            if self._from_chain:
                self._provider = None

    def _resolve_blocking(self) -> ReadOnlyCredentials:
        if self._provider is None:
            session = botocore.session.Session(profile=self._profile)
            self._provider = _chain_credentials(session)
        if self._force_refresh:
            self._force_refresh = False
            # botocore has no public "refresh now"; RefreshableCredentials' mandatory refresh
            # is what its own expiry check would call.
            refresh = getattr(self._provider, "_protected_refresh", None)
            lock = getattr(self._provider, "_refresh_lock", None)
            if callable(refresh) and lock is not None:
                with lock:
                    refresh(is_mandatory=True)
        frozen = self._provider.get_frozen_credentials()
        if not frozen.access_key or not frozen.secret_key:
            raise CredentialUnavailable("the AWS credential chain returned empty credentials")
        return frozen


def _chain_credentials(session: Any) -> Credentials:
    try:
        credentials = session.get_credentials()
    except Exception as exc:  # botocore raises many types; keep only the class name
        raise CredentialUnavailable(f"AWS credential chain failed: {type(exc).__name__}") from None
    if credentials is None:
        raise CredentialUnavailable(
            "no AWS credentials found (environment, shared files, SSO, instance role)"
        )
    return credentials


def resolve_region_blocking(profile: str | None = None) -> str | None:
    """The region from the standard chain (AWS_REGION, AWS_DEFAULT_REGION, the profile)."""
    try:
        region = botocore.session.Session(profile=profile).get_config_variable("region")
    except Exception:
        return None
    return str(region) if region else None
