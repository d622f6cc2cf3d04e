"""Password hashing with Argon2id (argon2-cffi), parameters from settings.

The default is OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane): about 19 ms a
hash on one core here, the only real cost of a password login.

At most ``concurrency`` hashes run at once in a process (default 1: one worker process
per core). Argon2 is memory-hard: four 19 MiB computations interleaved on one core
evict each other from the CPU caches, and the same core then verifies about a quarter
fewer passwords a second than it does one at a time (``bench/bench_login.py``).
Requests queue for a slot instead; everything else they do still runs meanwhile.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2 import Type
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from argon2.exceptions import VerifyMismatchError


class Passwords:
    def __init__(self, *, memory_kib: int, iterations: int, concurrency: int = 1) -> None:
        self._slots = threading.BoundedSemaphore(concurrency)
        self._hasher = PasswordHasher(
            time_cost=iterations,
            memory_cost=memory_kib,
            parallelism=1,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verified against when the username is unknown, so both paths cost the same.
        self._decoy = self._hasher.hash("decoy password that matches nothing")

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches; a missing or malformed hash simply does not."""
        try:
            with self._slots:
                matches = self._hasher.verify(stored or self._decoy, password)
            return matches and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with weaker parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
