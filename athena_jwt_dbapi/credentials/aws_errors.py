"""AWS's refusals and network failures during a credentials step, as the ``CredentialsError`` users see.

Every step of every provider that calls AWS for credentials (STS, sso-oidc, the tag lookups) reports a
failure in one shape — the step, AWS's error code, AWS's own message (redacted), the role — so a user
reads one kind of message and ``CredentialsError.code`` is always AWS's code or the botocore error's name.
Nothing that was sent (a token, an assertion) can appear: only AWS's answer is quoted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..errors import CredentialsError
from ..redaction import redact


def _no_hint(code: str) -> str:
    return ""


@contextmanager
def reported(step: str, role_arn: str, *, hint: Callable[[str], str] = _no_hint) -> Iterator[None]:
    """Run the body; a botocore failure leaves as a ``CredentialsError`` naming ``step`` and ``role_arn``.

    ``hint(code)`` is appended to the message of an AWS refusal (for example how to renew a literal token
    that expired); it returns ``""`` when it has nothing to say.
    """
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
    from botocore.parsers import ResponseParserError

    try:
        yield
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code") or "Unknown"
        message = details.get("Message") or error.response.get("error_description") or ""
        raise CredentialsError(
            f"{step} was refused: {code}: {redact(str(message))}{hint(code)}", code=code, role_arn=role_arn
        ) from None
    except ParamValidationError as error:  # a BotoCoreError, but nothing went on the wire
        raise CredentialsError(
            f"{step} was not sent: {redact(str(error))}", code="ParamValidationError", role_arn=role_arn
        ) from None
    except (BotoCoreError, ResponseParserError) as error:
        raise CredentialsError(
            f"{step} failed: {redact(str(error))}", code=type(error).__name__, role_arn=role_arn
        ) from None
