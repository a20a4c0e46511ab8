"""Drives Hub with the official `openai` Python client, as a user's application would.

Reads HUB_BASE_URL (for example http://127.0.0.1:3000/v1), the model names to use
(HUB_CHAT_MODEL, HUB_COMPLETION_MODEL, HUB_EMBEDDING_MODEL), HUB_MODELS (the ids
/models must list, comma-separated), HUB_API_KEY (the client's key) and HUB_CHECKS (which
checks to run, comma-separated; all but `denied` by default). Every emulator answers a chat with "Echo: <last user text>", so the same
checks hold whichever provider serves the model. Exits non-zero with the failing assertion
on the first difference from what the client should see, and prints "ok" when all pass.
"""

import json
import os
from array import array

import openai
from openai import OpenAI

client = OpenAI(
    base_url=os.environ["HUB_BASE_URL"],
    api_key=os.environ.get("HUB_API_KEY", "client-key"),
    max_retries=0,
)
CHAT_MODEL = os.environ.get("HUB_CHAT_MODEL", "gpt-4o")
COMPLETION_MODEL = os.environ.get("HUB_COMPLETION_MODEL", "gpt-3.5-turbo-instruct")
EMBEDDING_MODEL = os.environ.get("HUB_EMBEDDING_MODEL", "text-embedding-3-small")
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather by city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def check_chat():
    reply = client.chat.completions.create(
        model=CHAT_MODEL,
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
        model=CHAT_MODEL,
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
        model=COMPLETION_MODEL, prompt="Say this is a test", max_tokens=16
    )
    assert reply.object == "text_completion", reply
    assert reply.choices[0].text, reply
    assert reply.choices[0].finish_reason in ("stop", "length"), reply


def check_embeddings():
    # Without encoding_format the client asks for base64 and decodes it itself.
    default = client.embeddings.create(model=EMBEDDING_MODEL, input=["hello", "world"])
    floats = client.embeddings.create(
        model=EMBEDDING_MODEL, input=["hello", "world"], encoding_format="float"
    )
    assert len(default.data) == 2, default
    assert len(default.data[0].embedding) > 0, default
    assert all(isinstance(value, float) for value in default.data[0].embedding)
    for decoded, plain in zip(default.data, floats.data):
        # base64 carries float32 exactly; JSON decimals read as float64, so compare as float32.
        assert array("f", decoded.embedding) == array("f", plain.embedding), (decoded, plain)
    assert default.data[0].embedding != default.data[1].embedding


def check_tools():
    reply = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
    )
    call = reply.choices[0].message.tool_calls[0]
    assert reply.choices[0].finish_reason == "tool_calls", reply
    assert call.type == "function" and call.function.name == "get_weather", call
    assert "city" in json.loads(call.function.arguments), call

    followup = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "rainy, 14C"},
            {"role": "user", "content": "thanks"},
        ],
        tools=[WEATHER_TOOL],
    )
    assert followup.choices[0].message.content == "Echo: thanks", followup


def check_tool_stream():
    stream = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
        stream=True,
    )
    calls = {}
    finish = None
    for chunk in stream:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for fragment in choice.delta.tool_calls or []:
                call = calls.setdefault(fragment.index, {"id": None, "name": "", "arguments": ""})
                call["id"] = fragment.id or call["id"]
                if fragment.function and fragment.function.name:
                    call["name"] += fragment.function.name
                if fragment.function and fragment.function.arguments:
                    call["arguments"] += fragment.function.arguments
    assert finish == "tool_calls", finish
    assert calls[0]["id"] and calls[0]["name"] == "get_weather", calls
    assert "city" in json.loads(calls[0]["arguments"]), calls


def check_models():
    ids = [model.id for model in client.models.list()]
    assert ids == os.environ["HUB_MODELS"].split(","), ids


def check_errors():
    try:
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )
    except openai.NotFoundError as error:
        assert error.code == "model_not_found", error
    else:
        raise AssertionError("an unknown model must raise NotFoundError")


def check_denied():
    try:
        client.chat.completions.create(
            model=CHAT_MODEL, messages=[{"role": "user", "content": "x"}]
        )
    except openai.AuthenticationError as error:
        assert error.status_code == 401, error
        assert error.code == "invalid_api_key", error
        assert error.type == "invalid_request_error", error
    else:
        raise AssertionError("a key the gateway does not hold must raise AuthenticationError")


CHECKS = {
    "chat": check_chat,
    "stream": check_stream,
    "tools": check_tools,
    "tool_stream": check_tool_stream,
    "completion": check_completion,
    "embeddings": check_embeddings,
    "models": check_models,
    "errors": check_errors,
}
# Run only when asked for: every other check needs the gateway to let the client in.
ON_REQUEST = {"denied": check_denied}
selected = os.environ.get("HUB_CHECKS", ",".join(CHECKS)).split(",")
for name in selected:
    {**CHECKS, **ON_REQUEST}[name]()
    print(f"{name}: passed")
print("ok")
