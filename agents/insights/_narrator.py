"""The optional narrator: the structured insights told as prose by a chat model.

It sends the insights (figures and sentences, no records) to an OpenAI-compatible
``POST {url}/chat/completions`` endpoint with aiohttp and returns the reply's text. It
is off unless a base URL is configured, through the agent's settings or the environment
(``ACTORFLOW_NARRATOR_URL``, ``ACTORFLOW_NARRATOR_MODEL``, ``ACTORFLOW_NARRATOR_API_KEY``).
Any failure is a :class:`NarratorError`, which the agent turns into a warning: the
insights never depend on it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from actorflow.contracts import ActorflowError

if TYPE_CHECKING:
    import aiohttp

ENV_URL = "ACTORFLOW_NARRATOR_URL"
ENV_MODEL = "ACTORFLOW_NARRATOR_MODEL"
ENV_API_KEY = "ACTORFLOW_NARRATOR_API_KEY"

DEFAULT_PROMPT = (
    "You are a business analyst. Write a short report (at most three paragraphs) for a "
    "manager from the insights given as JSON. Use only the figures given; do not invent "
    "numbers. Plain prose, no headings."
)
_MAX_ERROR_BODY = 200


class NarratorError(ActorflowError):
    """The narrator could not produce a text: names the endpoint and what went wrong."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NarratorSettings:
    """Where and how to ask for the narrative.

    Attributes:
        url: the API's base URL, e.g. ``http://127.0.0.1:8080/v1``; ``/chat/completions``
            is appended.
        model: the model name sent with the request (left out when None: servers that
            host one model accept that).
        api_key: sent as ``Authorization: Bearer <key>`` when given; never shown in reprs.
        timeout_s: limit of the whole request.
        max_tokens: the reply's length limit, when given.
        system_prompt: the instructions sent before the insights.
    """

    url: str
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0
    max_tokens: int | None = 600
    system_prompt: str = DEFAULT_PROMPT

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"the narrator URL must start with http:// or https://: {self.url!r}")
        if self.timeout_s <= 0:
            raise ValueError(f"the narrator timeout must be positive, got {self.timeout_s!r}")

    @property
    def endpoint(self) -> str:
        """The chat completions URL."""
        return self.url.rstrip("/") + "/chat/completions"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NarratorSettings | None:
        """Settings from ``ACTORFLOW_NARRATOR_*``; None when no URL is set."""
        env = os.environ if env is None else env
        url = env.get(ENV_URL, "").strip()
        if not url:
            return None
        return cls(
            url=url,
            model=env.get(ENV_MODEL) or None,
            api_key=env.get(ENV_API_KEY) or None,
        )


def _request_body(
    settings: NarratorSettings, insights: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]
) -> dict[str, Any]:
    facts = {
        "insights": [
            {"kind": i["kind"], "sentence": i["sentence"], "data": i["data"]} for i in insights
        ],
        "title": summary.get("title"),
        "processing_month": summary.get("processing_month"),
    }
    body: dict[str, Any] = {
        "messages": [
            {"role": "system", "content": settings.system_prompt},
            {"role": "user", "content": json.dumps(facts, ensure_ascii=False, default=str)},
        ],
        "temperature": 0,
    }
    if settings.model:
        body["model"] = settings.model
    if settings.max_tokens:
        body["max_tokens"] = settings.max_tokens
    return body


def _reply_text(body: Any, endpoint: str) -> str:
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise NarratorError(f"{endpoint}: the reply has no choices[0].message.content") from None
    if not isinstance(content, str) or not content.strip():
        raise NarratorError(f"{endpoint}: the reply's message content is empty")
    return content.strip()


async def narrate(
    settings: NarratorSettings,
    insights: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    *,
    session: aiohttp.ClientSession | None = None,
) -> str:
    """Ask the chat model for a narrative of the insights.

    Args:
        settings: the endpoint, model and key.
        insights: the structured insights (``kind``, ``sentence``, ``data``).
        summary: the summary (its title and processing month are sent).
        session: an aiohttp session to use; a new one is made and closed otherwise.

    Returns:
        The reply's text.

    Raises:
        NarratorError: the endpoint could not be reached, answered with a non-200 status,
            timed out, or sent a body that is not a chat completion.
    """
    endpoint = settings.endpoint
    headers = {"Content-Type": "application/json"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    body = _request_body(settings, insights, summary)
    # Imported here: aiohttp takes ~0.15 s to import, and most runs never narrate.
    import aiohttp  # noqa: PLC0415

    timeout = aiohttp.ClientTimeout(total=settings.timeout_s)
    own = session is None
    client = aiohttp.ClientSession(timeout=timeout) if session is None else session
    try:
        async with client.post(endpoint, json=body, headers=headers, timeout=timeout) as reply:
            text = await reply.text()
            if reply.status != 200:
                raise NarratorError(
                    f"{endpoint}: HTTP {reply.status}: {text[:_MAX_ERROR_BODY].strip()}"
                )
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise NarratorError(f"{endpoint}: the reply is not JSON ({exc})") from None
    except TimeoutError:
        raise NarratorError(f"{endpoint}: no reply within {settings.timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise NarratorError(f"{endpoint}: {type(exc).__name__}: {exc}") from None
    finally:
        if own:
            await client.close()
    return _reply_text(data, endpoint)


async def try_narrate(
    settings: NarratorSettings,
    insights: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
) -> tuple[str | None, dict[str, Any] | None]:
    """:func:`narrate`, with a failure turned into a warning entry instead of an error."""
    try:
        return await narrate(settings, insights, summary), None
    except NarratorError as exc:
        return None, {"kind": "narrator", "message": str(exc)}
