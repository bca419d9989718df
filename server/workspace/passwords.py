"""Password hashing with argon2id (argon2-cffi's recommended parameters), and the rules a
new password must meet.

Length alone lets `aaaaaaaaaaaa`, twelve spaces or `Password1234` through. The rules
therefore ask zxcvbn (Dropbox's estimator of how many guesses a password takes, which
knows common passwords, words, names, keyboard walks, repeats, dates and l33t) for a
score from 0 to 4, and refuse with its own explanation: MIN_SCORE for every account,
ADMIN_MIN_SCORE for admins, whose accounts can do the most harm. Login attempts are
slowed per client and per username (`throttle`), never stopped for good, so the
passwords themselves must make online guessing hopeless.
"""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from server.workspace.i18n import _, current_language

_HASHER = PasswordHasher()
MIN_LENGTH = 12
#: zxcvbn scores: 3 is "safely unguessable" (about 1e8 guesses or more), 4 "very
#: unguessable" (1e10 or more).
MIN_SCORE = 3
ADMIN_MIN_SCORE = 4
#: The estimator's time grows quickly with length; a long password is judged by its
#: start, which only makes the rule stricter, never looser.
_ESTIMATED_CHARS = 100
#: Words that make a password easy to guess here in particular.
_CONTEXT_WORDS = ["leastmeans", "workspace", "psychiatry", "coercion", "coercive"]


@cache
def _dummy_hash() -> str:
    # Verifying against this when the username is unknown makes a failed login take as
    # long for an unknown user as for a wrong password, so timing reveals no usernames.
    # Made on first use: hashing costs a third of a second, which every worker's start
    # would otherwise pay.
    return _HASHER.hash("leastmeans-dummy-password")


class WeakPassword(ValueError):
    """The new password does not meet the minimum rules."""


def check_strength(password: str, username: str, admin: bool = False) -> None:
    """Raise WeakPassword saying why the password is too easy to guess (and how to do better)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(_("must be at least %(n)s characters long") % {"n": MIN_LENGTH})
    if username and username.lower() in password.lower():
        raise WeakPassword(_("must not contain the username"))
    needed = ADMIN_MIN_SCORE if admin else MIN_SCORE
    estimate = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=[username, *_CONTEXT_WORDS])
    if estimate["score"] < needed:
        feedback = estimate["feedback"]
        # zxcvbn's own hints exist in English only; a Danish page gives the general advice.
        hints = "" if current_language() == "da" else " ".join(part for part in [feedback.get("warning") or "", *feedback.get("suggestions", [])] if part)
        template = (
            _("is too easy to guess (strength %(score)s of 4, an admin account needs %(needed)s).")
            if admin
            else _("is too easy to guess (strength %(score)s of 4, an account needs %(needed)s).")
        )
        advice = hints or _("Use a longer passphrase of several unusual words.")
        raise WeakPassword(f"{template % {'score': estimate['score'], 'needed': needed}} {advice}")


def hash_password(password: str) -> str:
    """An argon2id hash with its own salt and parameters."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches; a missing hash still costs one verification."""
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)
