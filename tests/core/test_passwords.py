"""The password policy (after NIST SP 800-63B), one rule used by the website, the command line
and every other caller of officehours.passwords: 12 to 256 characters, not only spaces, not
common or easily guessed (zxcvbn), the length checked before anything is hashed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import pytest
from argon2 import PasswordHasher

from officehours import demo, passwords
from officehours.cli import main
from officehours.passwords import WeakPassword

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``run(*argv)``: the command line on the test database; (status, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", db_url)

    def call(*argv: str) -> tuple[int, str, str]:
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse
            status = int(exc.code or 0)
        out, err = capsys.readouterr()
        return status, out, err

    return call


GOOD = [
    "correct horse battery",  # the tests' password
    "a brand new passphrase",
    "a new secret!",
    demo.PASSWORD,
    "Zürich tram 11 at dawn",
    "p" * 5 + "x7#Qm!vR2&kL" + "z" * 239,  # 256 characters, a strong start
]
WEAK = [
    ("", "at least 12 characters"),
    ("elevenchars", "at least 12 characters"),
    ("x" * 257, "at most 256 characters"),
    (" " * 12, "only spaces"),
    ("\t \n " * 4, "only spaces"),
    ("password1234", "too easy to guess"),
    ("123456789012", "too easy to guess"),
    ("qwertyuiop123", "too easy to guess"),
    ("aaaaaaaaaaaaaaaa", "too easy to guess"),
    ("iloveyou1234", "too easy to guess"),
]


@pytest.mark.parametrize("password", GOOD)
def test_good_passwords_are_accepted(password: str) -> None:
    passwords.check_password(password)
    assert passwords.verify_password(passwords.hash_password(password), password)


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_weak_passwords_are_refused_with_a_clear_message(password: str, message: str) -> None:
    with pytest.raises(WeakPassword, match=message):
        passwords.hash_password(password)


def test_a_password_made_of_the_users_own_name_or_email_or_of_the_service_is_refused() -> None:
    passwords.check_password("annclient2027", user_inputs=())
    for guessable in ("annclient2027", "ann@example.com1", "Ann Client 1234"):
        with pytest.raises(WeakPassword, match="too easy to guess"):
            passwords.check_password(guessable, user_inputs=("ann@example.com", "Ann Client"))
    with pytest.raises(WeakPassword, match="too easy to guess"):
        passwords.check_password("officehours-demo")  # the demo's password until now


def test_an_overlong_password_is_refused_before_it_is_hashed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hashed: list[str] = []

    class Counting(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            hashed.append(str(password))
            return super().hash(password, salt=salt)

        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            hashed.append(str(password))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", Counting())
    huge = "correct horse battery " * 3000  # about 66 KB
    started = time.perf_counter()
    with pytest.raises(WeakPassword, match="at most 256 characters"):
        passwords.hash_password(huge)
    # Signing in with it is refused the same way: no argon2 work for it either.
    assert not passwords.verify_password(passwords.hash_password("correct horse battery"), huge)
    assert time.perf_counter() - started < 1
    assert hashed == ["correct horse battery"]


def test_the_command_line_uses_the_policy(run: Run) -> None:
    add = ("user", "add", "p@example.com", "--name", "P", "--role", "client", "--tz", "UTC")
    status, _, err = run(*add, "--password", "short")
    assert status == 2 and "at least 12 characters" in err
    status, _, err = run(*add, "--password", " " * 20)
    assert status == 2 and "only spaces" in err
    status, _, err = run(*add, "--password", "password1234")
    assert status == 2 and "too easy to guess" in err
    assert run(*add, "--password", "a good long passphrase")[0] == 0
    status, _, err = run("user", "password", "p@example.com", "p" * 300)
    assert status == 2 and "at most 256 characters" in err
    assert run("user", "password", "p@example.com", "another fine passphrase")[0] == 0
