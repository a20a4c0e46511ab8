"""Drives Hub with the official `openai` Python client, as a user's application would.

Reads HUB_BASE_URL (for example http://127.0.0.1:3000/v1). Exits non-zero with the failing
assertion on the first difference from what the client should see, and prints "ok" when all
pass.
"""

import os
from array import array

import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["HUB_BASE_URL"], api_key="client-key", max_retries=0)


def check_chat():
    reply = client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "developer", "content": "You are terse."},
            {"role": "user", "content": "Hello from Python"},
        ],
        temperature=0.2,
    )
    assert reply.object == "chat.completion", reply
    assert reply.choices[0].message.role == "assistant", reply
    assert reply.choices[0].message.content == "Echo: Hello from Python", reply
    assert reply.choices[0].finish_reason == "stop", reply
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def check_stream():
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "stream these five words"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = []
    for chunk in stream:
        chunks.append(chunk)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: stream these five words", text
    assert len(chunks) > 4, f"the answer came in pieces, not {len(chunks)}"
    assert len({c.id for c in chunks}) == 1, "one id for the whole stream"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"], finishes
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0, chunks[-1]


def check_completion():
    reply = client.completions.create(
        model="gpt-3.5-turbo-instruct", prompt="Say this is a test", max_tokens=16
    )
    assert reply.object == "text_completion", reply
    assert reply.choices[0].text, reply
    assert reply.choices[0].finish_reason in ("stop", "length"), reply


def check_embeddings():
    # Without encoding_format the client asks for base64 and decodes it itself.
    default = client.embeddings.create(model="text-embedding-3-small", input=["hello", "world"])
    floats = client.embeddings.create(
        model="text-embedding-3-small", input=["hello", "world"], encoding_format="float"
    )
    assert len(default.data) == 2, default
    assert len(default.data[0].embedding) > 0, default
    assert all(isinstance(value, float) for value in default.data[0].embedding)
    for decoded, plain in zip(default.data, floats.data):
        # base64 carries float32 exactly; JSON decimals read as float64, so compare as float32.
        assert array("f", decoded.embedding) == array("f", plain.embedding), (decoded, plain)
    assert default.data[0].embedding != default.data[1].embedding


def check_models():
    ids = [model.id for model in client.models.list()]
    assert ids == ["gpt-4o", "gpt-3.5-turbo-instruct", "text-embedding-3-small"], ids


def check_errors():
    try:
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )
    except openai.NotFoundError as error:
        assert error.code == "model_not_found", error
    else:
        raise AssertionError("an unknown model must raise NotFoundError")


for check in (check_chat, check_stream, check_completion, check_embeddings, check_models, check_errors):
    check()
    print(f"{check.__name__}: passed")
print("ok")
