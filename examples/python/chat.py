#!/usr/bin/env python3
"""A chat completion through a built-in chat format (llama-cpp-python's
chat_format names are accepted, e.g. "chatml", "llama-2").
usage: chat.py [MODEL.gguf] [FORMAT]"""
import os
import sys

from llamac import Llama

here = os.path.dirname(os.path.abspath(__file__))
model = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "models", "kjv-6m-f16.gguf")
fmt = sys.argv[2] if len(sys.argv) > 2 else "chatml"

with Llama(model_path=model, chat_format=fmt, verbose=False) as llm:
    r = llm.create_chat_completion(messages=[
        {"role": "system", "content": "You answer in the words of the King James Bible."},
        {"role": "user", "content": "Who made the heaven and the earth?"},
    ], max_tokens=32, temperature=0)
    print(r["choices"][0]["message"]["content"])
